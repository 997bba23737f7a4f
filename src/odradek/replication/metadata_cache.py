"""MetadataCache: a broker's view of the cluster, as the controller last told it (UpdateMetadata).

Holds the live brokers, the controller id and every partition's leader, leader epoch, ISR,
replicas and offline replicas. Metadata responses are built from it, never from ZooKeeper.
A partition state with leader ``-2`` (Kafka's ``LeaderDuringDelete``) removes the partition.
"""

from __future__ import annotations

from odradek.replication.wire import LiveBroker, PartitionStateMsg, UpdateMetadataRequest

LEADER_DURING_DELETE = -2


class MetadataCache:
    def __init__(self) -> None:
        self.controller_id = -1
        self.controller_epoch = -1
        self.brokers: dict[int, LiveBroker] = {}
        self.topics: dict[str, dict[int, PartitionStateMsg]] = {}

    def update(self, req: UpdateMetadataRequest) -> bool:
        """Apply an UpdateMetadata; False (and no change) if its controller epoch is stale."""
        if req.header.controller_epoch < self.controller_epoch:
            return False
        self.controller_epoch = req.header.controller_epoch
        self.controller_id = req.header.controller_id
        self.brokers = {b.node_id: b for b in req.live_brokers}
        for s in req.partitions:
            if s.leader == LEADER_DURING_DELETE:
                parts = self.topics.get(s.topic)
                if parts is not None:
                    parts.pop(s.partition, None)
                    if not parts:
                        del self.topics[s.topic]
                continue
            self.topics.setdefault(s.topic, {})[s.partition] = s
        return True

    def partition(self, topic: str, partition: int) -> PartitionStateMsg | None:
        return self.topics.get(topic, {}).get(partition)

    def has_leaders(self, topic: str, partitions: int) -> bool:
        """Whether every partition ``0..partitions-1`` of ``topic`` has a live leader."""
        parts = self.topics.get(topic, {})
        return all(
            (s := parts.get(p)) is not None and s.leader >= 0 and s.leader in self.brokers
            for p in range(partitions)
        )
