"""Partition routing on a broker: find the local log of a partition, append, read, notify waiters.

In the single-node mode every partition is led here and the high watermark is the log end
offset; the cluster mode puts leadership, ISR and the high watermark rules in front of this.
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
        lg = self.broker.log_manager.get_log(topic, partition)
        if lg is None:
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"This server does not host this topic-partition: {topic}-{partition}",
            )
        return lg

    def append(self, topic: str, partition: int, records: memoryview, now_ms: int) -> AppendInfo:
        lg = self.log_for(topic, partition)
        info = lg.append_as_leader(records, now_ms)
        self.broker.purgatory.notify((topic, partition))
        return info
