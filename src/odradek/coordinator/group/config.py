"""The group coordinator's settings, with Kafka's property names and defaults."""

from __future__ import annotations

from dataclasses import dataclass

from odradek.common.config import BrokerConfig


@dataclass(frozen=True, slots=True)
class GroupConfig:
    offsets_topic_num_partitions: int = 50
    group_initial_rebalance_delay_ms: int = 3000
    group_min_session_timeout_ms: int = 6000
    group_max_session_timeout_ms: int = 1800000
    group_max_size: int = 2147483647
    offsets_retention_ms: int = 10080 * 60_000
    offsets_retention_check_interval_ms: int = 600000
    offset_metadata_max_bytes: int = 4096
    # KIP-345: a new member's join is held at most this long before it is dropped.
    new_member_join_timeout_ms: int = 300000
    consumer_heartbeat_interval_ms: int = 5000
    consumer_session_timeout_ms: int = 45000
    consumer_assignors: tuple[str, ...] = ("uniform", "range")

    @staticmethod
    def from_broker(config: BrokerConfig) -> GroupConfig:
        raw_assignors = config.raw.get("group.consumer.assignors", "uniform,range")
        return GroupConfig(
            offsets_topic_num_partitions=config.get_int("offsets.topic.num.partitions"),
            group_initial_rebalance_delay_ms=config.get_int("group.initial.rebalance.delay.ms"),
            group_min_session_timeout_ms=config.get_int("group.min.session.timeout.ms"),
            group_max_session_timeout_ms=config.get_int("group.max.session.timeout.ms"),
            group_max_size=config.get_int("group.max.size"),
            offsets_retention_ms=config.get_int("offsets.retention.minutes") * 60_000,
            offsets_retention_check_interval_ms=config.get_int(
                "offsets.retention.check.interval.ms"
            ),
            offset_metadata_max_bytes=int(config.raw.get("offset.metadata.max.bytes", "4096")),
            consumer_heartbeat_interval_ms=config.get_int("group.consumer.heartbeat.interval.ms"),
            consumer_session_timeout_ms=config.get_int("group.consumer.session.timeout.ms"),
            consumer_assignors=tuple(
                a.strip().rsplit(".", 1)[-1].lower().removesuffix("assignor")
                for a in raw_assignors.split(",")
                if a.strip()
            ),
        )


def partition_for(group_id: str, num_partitions: int) -> int:
    """``__consumer_offsets`` partition of a group: Kafka's ``Utils.abs(hashCode) % n``.

    Java's ``String.hashCode`` runs over UTF-16 code units with 32-bit wrap-around, and
    ``Utils.abs`` maps ``Integer.MIN_VALUE`` to 0.
    """
    h = 0
    data = group_id.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    if h >= 0x80000000:
        h -= 0x100000000
    h = 0 if h == -(2**31) else abs(h)
    return h % num_partitions
