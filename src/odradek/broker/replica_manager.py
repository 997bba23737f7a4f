"""Partition routing on a broker: find the local log of a partition, append, read, notify waiters.

In the single-node mode every partition is led here and the high watermark is the log end
offset; in cluster mode :class:`~odradek.replication.manager.ClusterReplicas` puts leadership,
the ISR and the high watermark rules in front of the logs, and this class delegates to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from odradek.common.errors import ErrorCode, KafkaError

if TYPE_CHECKING:
    from odradek.broker.broker import Broker
    from odradek.storage.log import AppendInfo, Log


class ReplicaManager:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def log_for(self, topic: str, partition: int) -> Log:
        """The log of a partition led here (cluster mode: NOT_LEADER_OR_FOLLOWER otherwise)."""
        cluster = self.broker.cluster
        if cluster is not None:
            return cluster.replicas.leader(topic, partition)[1]
        lg = self.broker.log_manager.get_log(topic, partition)
        if lg is None:
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"This server does not host this topic-partition: {topic}-{partition}",
            )
        return lg

    def append(
        self, topic: str, partition: int, records: memoryview, now_ms: int, acks: int = 1
    ) -> AppendInfo:
        cluster = self.broker.cluster
        if cluster is not None:
            return cluster.replicas.append(topic, partition, records, now_ms, acks)
        lg = self.log_for(topic, partition)
        info = lg.append_as_leader(records, now_ms)
        self.broker.purgatory.notify((topic, partition))
        return info

    async def wait_committed(
        self, topic: str, partition: int, last_offset: int, timeout_s: float
    ) -> int:
        """acks=all: wait until ``last_offset`` is below the high watermark; an error code."""
        cluster = self.broker.cluster
        if cluster is None:
            return 0
        replicas = cluster.replicas
        tp = (topic, partition)
        part = replicas.partitions.get(tp)
        epoch = part.leader_epoch if part is not None else -1
        log_manager = replicas.log_manager

        def ready() -> bool:
            """Kafka's DelayedProduce.tryComplete: committed, or no longer led here."""
            p = replicas.partitions.get(tp)
            lg = log_manager.get_log(topic, partition)
            if p is None or lg is None or not p.is_leader or p.leader_epoch != epoch:
                return True
            return lg.high_watermark > last_offset

        purgatory = self.broker.purgatory

        async def wait(tps: list[tuple[str, int]], left: float) -> bool:
            return await purgatory.wait(tps, left, ready, order=last_offset)

        return await replicas.wait_committed(topic, partition, last_offset, timeout_s, wait)

    def follower_fetch(self, topic: str, partition: int, replica: int, offset: int) -> None:
        """A follower fetched from ``offset``: its log end offset, for the ISR and the HW."""
        cluster = self.broker.cluster
        if cluster is not None:
            cluster.replicas.on_follower_fetch(topic, partition, replica, offset)

    def is_follower_read(self, replica_id: int) -> bool:
        return self.broker.cluster is not None and replica_id >= 0
