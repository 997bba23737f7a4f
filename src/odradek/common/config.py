"""Kafka-style configuration: property files, typed definitions, broker and topic configs.

Property names are Kafka's (``log.segment.bytes``, ``retention.ms``, ...). A broker-level
``log.*`` default maps to a topic-level override name (``log.retention.ms`` → ``retention.ms``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from odradek.common.errors import ErrorCode, KafkaError

LONG_MAX = 2**63 - 1


def parse_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def parse_list(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


@dataclass(frozen=True, slots=True)
class ConfigDef:
    """One configuration property: its name, parser, default (as a string) and doc."""

    name: str
    kind: str  # "int", "long", "bool", "string", "list", "double"
    default: str | None
    doc: str = ""
    valid: tuple[str, ...] = ()
    minimum: float | None = None

    def parse(self, raw: str) -> object:
        parser: Callable[[str], object] = _PARSERS[self.kind]
        try:
            value = parser(raw)
        except ValueError as exc:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG, f"Invalid value {raw!r} for configuration {self.name}"
            ) from exc
        if self.valid:
            items = value if isinstance(value, list) else [value]
            for item in items:
                if item not in self.valid:
                    raise KafkaError(
                        ErrorCode.INVALID_CONFIG,
                        f"Invalid value {raw!r} for configuration {self.name}: "
                        f"String must be one of: {', '.join(self.valid)}",
                    )
        if self.minimum is not None and isinstance(value, int | float) and value < self.minimum:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {raw} for configuration {self.name}: "
                f"Value must be at least {self.minimum:g}",
            )
        return value


_PARSERS: dict[str, Callable[[str], object]] = {
    "int": lambda s: int(s.strip()),
    "long": lambda s: int(s.strip()),
    "double": lambda s: float(s.strip()),
    "bool": parse_bool,
    "string": lambda s: s,
    "list": parse_list,
}

# Topic-level configs: (topic name, broker default name, kind, default).
_TOPIC: list[tuple[str, str | None, str, str | None, tuple[str, ...], float | None]] = [
    ("cleanup.policy", "log.cleanup.policy", "list", "delete", ("delete", "compact"), None),
    (
        "compression.type",
        "compression.type",
        "string",
        "producer",
        ("uncompressed", "gzip", "snappy", "lz4", "zstd", "producer"),
        None,
    ),
    ("delete.retention.ms", "log.cleaner.delete.retention.ms", "long", "86400000", (), 0),
    ("file.delete.delay.ms", "log.segment.delete.delay.ms", "long", "60000", (), 0),
    ("flush.messages", "log.flush.interval.messages", "long", str(LONG_MAX), (), 1),
    ("flush.ms", "log.flush.interval.ms", "long", str(LONG_MAX), (), 0),
    ("index.interval.bytes", "log.index.interval.bytes", "int", "4096", (), 0),
    ("max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", "long", str(LONG_MAX), (), 1),
    ("max.message.bytes", "message.max.bytes", "int", "1048588", (), 0),
    (
        "message.timestamp.type",
        "log.message.timestamp.type",
        "string",
        "CreateTime",
        ("CreateTime", "LogAppendTime"),
        None,
    ),
    (
        "message.timestamp.difference.max.ms",
        "log.message.timestamp.difference.max.ms",
        "long",
        str(LONG_MAX),
        (),
        0,
    ),
    (
        "message.timestamp.before.max.ms",
        "log.message.timestamp.before.max.ms",
        "long",
        str(LONG_MAX),
        (),
        0,
    ),
    (
        "message.timestamp.after.max.ms",
        "log.message.timestamp.after.max.ms",
        "long",
        str(LONG_MAX),
        (),
        0,
    ),
    ("min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", "double", "0.5", (), 0),
    ("min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", "long", "0", (), 0),
    ("min.insync.replicas", "min.insync.replicas", "int", "1", (), 1),
    ("preallocate", "log.preallocate", "bool", "false", (), None),
    ("retention.bytes", "log.retention.bytes", "long", "-1", (), None),
    ("retention.ms", "log.retention.ms", "long", "604800000", (), -1),
    ("segment.bytes", "log.segment.bytes", "int", "1073741824", (), 14),
    ("segment.index.bytes", "log.index.size.max.bytes", "int", "10485760", (), 8),
    ("segment.jitter.ms", "log.roll.jitter.ms", "long", "0", (), 0),
    ("segment.ms", "log.roll.ms", "long", "604800000", (), 1),
    ("unclean.leader.election.enable", "unclean.leader.election.enable", "bool", "false", (), None),
    # replication throttling (KIP-73): "partition:broker,..." or "*"
    ("leader.replication.throttled.replicas", None, "list", "", (), None),
    ("follower.replication.throttled.replicas", None, "list", "", (), None),
    (
        "message.downconversion.enable",
        "log.message.downconversion.enable",
        "bool",
        "true",
        (),
        None,
    ),
]

TOPIC_CONFIGS: dict[str, ConfigDef] = {
    name: ConfigDef(name, kind, default, valid=valid, minimum=minimum)
    for name, _b, kind, default, valid, minimum in _TOPIC
}
TOPIC_TO_BROKER: dict[str, str] = {name: b for name, b, *_ in _TOPIC if b is not None}

_BROKER: list[tuple[str, str, str | None]] = [
    ("broker.id", "int", "0"),
    ("node.id", "int", None),
    ("listeners", "list", "PLAINTEXT://127.0.0.1:9092"),
    ("advertised.listeners", "list", None),
    ("log.dirs", "list", None),
    ("log.dir", "string", "/tmp/kafka-logs"),
    ("num.partitions", "int", "1"),
    ("default.replication.factor", "int", "1"),
    ("auto.create.topics.enable", "bool", "true"),
    ("delete.topic.enable", "bool", "true"),
    ("log.retention.hours", "int", "168"),
    ("log.retention.minutes", "int", None),
    ("log.retention.check.interval.ms", "long", "300000"),
    ("log.roll.hours", "int", "168"),
    ("log.flush.scheduler.interval.ms", "long", str(LONG_MAX)),
    ("log.flush.offset.checkpoint.interval.ms", "int", "60000"),
    ("socket.request.max.bytes", "int", "104857600"),
    ("socket.send.buffer.bytes", "int", "102400"),
    ("socket.receive.buffer.bytes", "int", "102400"),
    ("num.network.threads", "int", "3"),
    ("num.io.threads", "int", "8"),
    ("num.recovery.threads.per.data.dir", "int", "1"),
    ("zookeeper.connect", "string", None),
    ("zookeeper.session.timeout.ms", "int", "18000"),
    ("offsets.topic.num.partitions", "int", "50"),
    ("offsets.topic.replication.factor", "int", "3"),
    ("offsets.topic.segment.bytes", "int", "104857600"),
    ("offsets.retention.minutes", "int", "10080"),
    ("offsets.retention.check.interval.ms", "long", "600000"),
    ("offsets.commit.timeout.ms", "int", "5000"),
    ("request.timeout.ms", "int", "30000"),
    ("transaction.state.log.num.partitions", "int", "50"),
    ("transaction.state.log.replication.factor", "int", "3"),
    ("transaction.state.log.min.isr", "int", "2"),
    ("transactional.id.expiration.ms", "int", "604800000"),
    ("transaction.max.timeout.ms", "int", "900000"),
    ("producer.id.expiration.ms", "int", "86400000"),
    ("group.initial.rebalance.delay.ms", "int", "3000"),
    ("group.min.session.timeout.ms", "int", "6000"),
    ("group.max.session.timeout.ms", "int", "1800000"),
    ("group.max.size", "int", "2147483647"),
    ("group.consumer.heartbeat.interval.ms", "int", "5000"),
    ("group.consumer.session.timeout.ms", "int", "45000"),
    ("replica.lag.time.max.ms", "long", "30000"),
    ("replica.fetch.max.bytes", "int", "1048576"),
    ("replica.fetch.wait.max.ms", "int", "500"),
    ("fetch.max.bytes", "int", "57671680"),
    ("max.incremental.fetch.session.cache.slots", "int", "1000"),
    ("log.cleaner.enable", "bool", "true"),
    ("log.cleaner.threads", "int", "1"),
    ("log.cleaner.io.max.bytes.per.second", "double", "1.7976931348623157E308"),
    ("log.cleaner.dedupe.buffer.size", "long", "134217728"),
    ("log.cleaner.backoff.ms", "long", "15000"),
    ("controlled.shutdown.enable", "bool", "true"),
    ("auto.leader.rebalance.enable", "bool", "true"),
    ("rack", "string", None),
    ("broker.rack", "string", None),
    ("metrics.port", "int", None),
    ("leader.replication.throttled.rate", "long", str(LONG_MAX)),
    ("follower.replication.throttled.rate", "long", str(LONG_MAX)),
]

BROKER_CONFIGS: dict[str, ConfigDef] = {n: ConfigDef(n, k, d) for n, k, d in _BROKER}
for _topic_name, _broker_name in TOPIC_TO_BROKER.items():
    _t = TOPIC_CONFIGS[_topic_name]
    BROKER_CONFIGS.setdefault(
        _broker_name, ConfigDef(_broker_name, _t.kind, _t.default, valid=_t.valid)
    )
BROKER_CONFIGS["log.retention.ms"] = ConfigDef("log.retention.ms", "long", None)
BROKER_CONFIGS["log.roll.ms"] = ConfigDef("log.roll.ms", "long", None)


def load_properties(path: Path) -> dict[str, str]:
    """Parse a Java-style ``.properties`` file (``key=value`` / ``key: value``, ``#`` comments)."""
    props: dict[str, str] = {}
    pending = ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line.startswith(("#", "!")):
            continue
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        for i, ch in enumerate(line):
            if ch in "=:":
                props[line[:i].strip()] = line[i + 1 :].strip()
                break
        else:
            props[line] = ""
    return props


class BrokerConfig:
    """Typed access to broker properties with Kafka's defaults and derived values."""

    def __init__(self, props: Mapping[str, str] | None = None) -> None:
        self.raw: dict[str, str] = dict(props or {})
        for name, value in self.raw.items():
            d = BROKER_CONFIGS.get(name)
            if d is not None:
                d.parse(value)

    def get(self, name: str) -> object:
        d = BROKER_CONFIGS.get(name)
        raw = self.raw.get(name)
        if d is None:
            return raw
        if raw is None:
            return None if d.default is None else d.parse(d.default)
        return d.parse(raw)

    def get_int(self, name: str) -> int:
        value = self.get(name)
        assert isinstance(value, int), name
        return value

    def get_bool(self, name: str) -> bool:
        value = self.get(name)
        assert isinstance(value, bool), name
        return value

    def get_str(self, name: str) -> str | None:
        value = self.get(name)
        return None if value is None else str(value)

    def set(self, name: str, value: str | None) -> None:
        if value is None:
            self.raw.pop(name, None)
        else:
            d = BROKER_CONFIGS.get(name)
            if d is not None:
                d.parse(value)
            self.raw[name] = value

    @property
    def broker_id(self) -> int:
        node = self.get("node.id")
        return node if isinstance(node, int) else self.get_int("broker.id")

    def retention_ms(self) -> int:
        for name, factor in (("log.retention.ms", 1), ("log.retention.minutes", 60_000)):
            v = self.get(name)
            if isinstance(v, int):
                return v * factor
        return self.get_int("log.retention.hours") * 3_600_000

    def roll_ms(self) -> int:
        v = self.get("log.roll.ms")
        return v if isinstance(v, int) else self.get_int("log.roll.hours") * 3_600_000

    def topic_defaults(self) -> dict[str, str]:
        """Broker-level defaults for every topic config, as topic-level names → raw strings."""
        out: dict[str, str] = {}
        for topic_name, broker_name in TOPIC_TO_BROKER.items():
            raw = self.raw.get(broker_name)
            if raw is not None:
                out[topic_name] = raw
        out.setdefault("retention.ms", str(self.retention_ms()))
        out.setdefault("segment.ms", str(self.roll_ms()))
        return out


@dataclass(frozen=True, slots=True)
class LogConfig:
    """The effective configuration of one topic's logs."""

    segment_bytes: int = 1073741824
    segment_ms: int = 604800000
    segment_jitter_ms: int = 0
    segment_index_bytes: int = 10485760
    index_interval_bytes: int = 4096
    retention_ms: int = 604800000
    retention_bytes: int = -1
    max_message_bytes: int = 1048588
    flush_messages: int = LONG_MAX
    flush_ms: int = LONG_MAX
    cleanup_policy: tuple[str, ...] = ("delete",)
    message_timestamp_type: str = "CreateTime"
    # CreateTime bounds (KIP-937): a record older than now - before or newer than now + after
    # is refused; LONG_MAX (the default) disables the check
    message_timestamp_before_max_ms: int = LONG_MAX
    message_timestamp_after_max_ms: int = LONG_MAX
    min_insync_replicas: int = 1
    delete_retention_ms: int = 86400000
    min_compaction_lag_ms: int = 0
    max_compaction_lag_ms: int = LONG_MAX
    min_cleanable_dirty_ratio: float = 0.5
    file_delete_delay_ms: int = 60000
    compression_type: str = "producer"
    leader_replication_throttled_replicas: tuple[str, ...] = ()
    follower_replication_throttled_replicas: tuple[str, ...] = ()

    @staticmethod
    def from_props(props: Mapping[str, str]) -> LogConfig:
        """Build from topic-level property names (unknown names are ignored here)."""

        def val(name: str) -> object:
            d = TOPIC_CONFIGS[name]
            raw = props.get(name, d.default)
            assert raw is not None
            return d.parse(raw)

        def num(name: str) -> int:
            value = val(name)
            assert isinstance(value, int)
            return value

        policy = val("cleanup.policy")
        assert isinstance(policy, list)
        ratio = val("min.cleanable.dirty.ratio")
        assert isinstance(ratio, float)
        return LogConfig(
            segment_bytes=num("segment.bytes"),
            segment_ms=num("segment.ms"),
            segment_jitter_ms=num("segment.jitter.ms"),
            segment_index_bytes=num("segment.index.bytes"),
            index_interval_bytes=num("index.interval.bytes"),
            retention_ms=num("retention.ms"),
            retention_bytes=num("retention.bytes"),
            max_message_bytes=num("max.message.bytes"),
            flush_messages=num("flush.messages"),
            flush_ms=num("flush.ms"),
            cleanup_policy=tuple(str(p) for p in policy),
            message_timestamp_type=str(val("message.timestamp.type")),
            message_timestamp_before_max_ms=_bound(num, "before"),
            message_timestamp_after_max_ms=_bound(num, "after"),
            min_insync_replicas=num("min.insync.replicas"),
            delete_retention_ms=num("delete.retention.ms"),
            min_compaction_lag_ms=num("min.compaction.lag.ms"),
            max_compaction_lag_ms=num("max.compaction.lag.ms"),
            min_cleanable_dirty_ratio=ratio,
            file_delete_delay_ms=num("file.delete.delay.ms"),
            compression_type=str(val("compression.type")),
            leader_replication_throttled_replicas=_strings(val, "leader"),
            follower_replication_throttled_replicas=_strings(val, "follower"),
        )


def _strings(val: Callable[[str], object], side: str) -> tuple[str, ...]:
    value = val(f"{side}.replication.throttled.replicas")
    assert isinstance(value, list)
    return tuple(str(v) for v in value)


def _bound(num: Callable[[str], int], side: str) -> int:
    """``message.timestamp.<side>.max.ms``, falling back to the deprecated
    ``message.timestamp.difference.max.ms`` while the new one is left at its default."""
    value = num(f"message.timestamp.{side}.max.ms")
    return value if value != LONG_MAX else num("message.timestamp.difference.max.ms")


_REPLICA_LIST = re.compile(r"^\s*(\*|\d+\s*:\s*\d+(\s*,\s*\d+\s*:\s*\d+)*)?\s*$")


def validate_topic_configs(items: Iterable[tuple[str, str | None]]) -> None:
    """Raise INVALID_CONFIG for an unknown topic config name or a value that does not parse."""
    for name, value in items:
        d = TOPIC_CONFIGS.get(name)
        if d is None:
            raise KafkaError(ErrorCode.INVALID_CONFIG, f"Unknown topic config name: {name}")
        if value is not None:
            d.parse(value)
        if name.endswith(".replication.throttled.replicas") and not _REPLICA_LIST.match(
            value or ""
        ):
            raise KafkaError(
                ErrorCode.INVALID_CONFIG,
                f"Invalid value {value} for configuration {name}: Must be a list of "
                "partitionId:brokerId pairs or the wildcard '*'",
            )
