"""Topic lifecycle on one broker: create, delete, add partitions, configs, auto-creation.

Facts live in the :class:`~odradek.controller.metadata_store.TopicStore`; logs in the
:class:`~odradek.storage.log_manager.LogManager`. The effective config of a topic's logs is the
broker defaults, overridden by dynamic broker configs, overridden by the topic's own configs.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import TYPE_CHECKING

from odradek.common.config import (
    TOPIC_TO_BROKER,
    LogConfig,
    validate_topic_configs,
)
from odradek.common.errors import ErrorCode, KafkaError
from odradek.controller.metadata_store import TopicInfo

if TYPE_CHECKING:
    from odradek.broker.broker import Broker

log = logging.getLogger(__name__)

INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})
_LEGAL = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_NAME_LENGTH = 249


def validate_topic_name(name: str | None) -> str:
    """Kafka's topic name rules; raises INVALID_TOPIC_EXCEPTION."""
    if not name:
        raise KafkaError(
            ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty"
        )
    if name in (".", ".."):
        raise KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name cannot be "." or ".."')
    if len(name) > MAX_NAME_LENGTH:
        raise KafkaError(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f"Topic name is illegal, it can't be longer than {MAX_NAME_LENGTH} characters",
        )
    if not _LEGAL.match(name):
        raise KafkaError(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            f'Topic name "{name}" is illegal, it contains a character other than '
            "ASCII alphanumerics, '.', '_' and '-'",
        )
    return name


class TopicService:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.store = broker.store

    # ------------------------------------------------------------------ queries
    def get(self, name: str) -> TopicInfo | None:
        return self.store.get(name)

    def require(self, name: str) -> TopicInfo:
        info = self.store.get(name)
        if info is None:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"Unknown topic {name}")
        return info

    def by_id(self, topic_id: uuid.UUID) -> TopicInfo | None:
        for info in self.store.topics().values():
            if info.topic_id == topic_id:
                return info
        return None

    def is_internal(self, name: str) -> bool:
        return name in INTERNAL_TOPICS

    def effective_props(self, name: str | None) -> dict[str, str]:
        props = self.broker.config.topic_defaults()
        dynamic = self.store.broker_configs()
        for topic_name, broker_name in TOPIC_TO_BROKER.items():
            if broker_name in dynamic:
                props[topic_name] = dynamic[broker_name]
        if "log.retention.ms" in dynamic:
            props["retention.ms"] = dynamic["log.retention.ms"]
        info = self.store.get(name) if name else None
        if info is not None:
            props.update(info.configs)
        return props

    def log_config(self, name: str) -> LogConfig:
        return LogConfig.from_props(self.effective_props(name))

    # ------------------------------------------------------------------ changes
    def create(
        self,
        name: str,
        partitions: int = -1,
        replication_factor: int = -1,
        configs: dict[str, str] | None = None,
        validate_only: bool = False,
        assignment: dict[int, tuple[int, ...]] | None = None,
    ) -> TopicInfo:
        """``assignment`` (validated by the caller) fixes the replicas and so the counts."""
        validate_topic_name(name)
        if self.store.get(name) is not None:
            raise KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{name}' already exists.")
        if assignment:
            partitions, replication_factor = len(assignment), len(assignment[0])
        if partitions == -1:
            partitions = self.broker.config.get_int("num.partitions")
        if replication_factor == -1:
            replication_factor = self.broker.config.get_int("default.replication.factor")
        if partitions <= 0:
            raise KafkaError(
                ErrorCode.INVALID_PARTITIONS, "Number of partitions must be larger than 0."
            )
        if replication_factor <= 0:
            raise KafkaError(
                ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0."
            )
        brokers = self._registered_brokers()
        if replication_factor > brokers and not assignment:
            raise KafkaError(
                ErrorCode.INVALID_REPLICATION_FACTOR,
                f"Replication factor: {replication_factor} larger than available brokers: "
                f"{brokers}.",
            )
        configs = {k: v for k, v in (configs or {}).items()}
        validate_topic_configs(configs.items())
        info = TopicInfo(name, uuid.uuid4(), partitions, replication_factor, configs)
        if validate_only:
            return info
        self.store.create(info, assignment)
        if self.broker.cluster is None:  # cluster mode: logs come with LeaderAndIsr
            config = self.log_config(name)
            for p in range(partitions):
                self.broker.log_manager.get_or_create_log(name, p, config)
        log.info("created topic %s with %d partitions, configs %s", name, partitions, configs)
        return info

    def auto_create(self, name: str) -> TopicInfo | None:
        """Create on first use if ``auto.create.topics.enable``; None when not allowed."""
        if not self.broker.config.get_bool("auto.create.topics.enable"):
            return None
        try:
            return self.create(name)
        except KafkaError as exc:
            if exc.code == ErrorCode.TOPIC_ALREADY_EXISTS:
                return self.store.get(name)
            raise

    def ensure_internal(
        self, name: str, partitions: int, replication_factor: int, configs: dict[str, str]
    ) -> None:
        """Create an internal topic unless it exists; the replication factor is capped at the
        number of live brokers, so a small cluster (or a single broker) can still host it."""
        if self.store.get(name) is not None:
            return
        rf = min(replication_factor, self._registered_brokers())
        try:
            self.create(name, partitions, rf, configs)
        except KafkaError as exc:
            if exc.code != ErrorCode.TOPIC_ALREADY_EXISTS:
                raise

    def _registered_brokers(self) -> int:
        """How many brokers a new topic can be placed on: in cluster mode the registrations in
        ZooKeeper, the same set the default placement draws from (this broker's metadata
        cache can lag behind a broker that has just registered)."""
        cluster = self.broker.cluster
        if cluster is not None:
            return len(cluster.store.live_brokers()) or len(self.broker.live_brokers())
        return len(self.broker.live_brokers())

    def delete(self, name: str) -> None:
        info = self.require(name)
        if not self.broker.config.get_bool("delete.topic.enable"):
            raise KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, "Topic deletion is disabled.")
        self.store.delete(name)
        if self.broker.cluster is not None:  # the controller deletes (StopReplica)
            log.info("queued deletion of topic %s", name)
            return
        for p in range(info.partitions):
            self.broker.log_manager.delete_log(name, p)
            self.broker.purgatory.notify((name, p))
        log.info("deleted topic %s", name)

    def add_partitions(
        self,
        name: str,
        count: int,
        validate_only: bool = False,
        assignment: dict[int, tuple[int, ...]] | None = None,
    ) -> None:
        info = self.require(name)
        if count <= info.partitions:
            raise KafkaError(
                ErrorCode.INVALID_PARTITIONS,
                f"Topic currently has {info.partitions} partitions, which is higher than or equal "
                f"to the requested {count}.",
            )
        if validate_only:
            return
        self.store.set_partitions(name, count, assignment)
        if self.broker.cluster is not None:
            return
        config = self.log_config(name)
        for p in range(info.partitions, count):
            self.broker.log_manager.get_or_create_log(name, p, config)

    def set_configs(self, name: str, configs: dict[str, str], validate_only: bool = False) -> None:
        info = self.require(name)
        validate_topic_configs(configs.items())
        if validate_only:
            return
        self.store.set_configs(name, configs)
        self.refresh_log_configs([info.name])

    def refresh_log_configs(self, names: list[str] | None = None) -> None:
        topics = self.store.topics()
        for name in names if names is not None else list(topics):
            info = topics.get(name)
            if info is None:
                continue
            config = self.log_config(name)
            for p in range(info.partitions):
                lg = self.broker.log_manager.get_log(name, p)
                if lg is not None:
                    lg.update_config(config)
