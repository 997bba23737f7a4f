"""Transactional offset commits (TxnOffsetCommit) waiting for their transaction's outcome.

Kafka writes them to ``__consumer_offsets`` in the producer's transactional batch and lets the
group coordinator materialize them when the COMMIT marker reaches that partition. Here they
are held per producer id until the marker for the group's ``__consumer_offsets`` partition is
written: COMMIT hands them to the group coordinator as ordinary offset records, ABORT drops
them. They are kept in memory only: a broker crash between EndTxn and the marker loses them
(the consumer then re-reads from the previous commit; the transaction's output stays
exactly-once only if the application is idempotent across that window).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PendingOffset:
    offset: int
    metadata: str
    leader_epoch: int


@dataclass(slots=True)
class PendingOffsets:
    """producer id → group id → (topic, partition) → offset."""

    by_producer: dict[int, dict[str, dict[tuple[str, int], PendingOffset]]] = field(
        default_factory=dict
    )

    def add(self, pid: int, group_id: str, offsets: dict[tuple[str, int], PendingOffset]) -> None:
        self.by_producer.setdefault(pid, {}).setdefault(group_id, {}).update(offsets)

    def take(
        self, pid: int, groups_of_partition: object
    ) -> dict[str, dict[tuple[str, int], PendingOffset]]:
        """Remove and return the pending offsets of ``pid`` for groups that ``groups_of_partition``
        (a predicate on the group id) accepts."""
        assert callable(groups_of_partition)
        mine = self.by_producer.get(pid)
        if not mine:
            return {}
        out = {g: offs for g, offs in mine.items() if groups_of_partition(g)}
        for g in out:
            del mine[g]
        if not mine:
            del self.by_producer[pid]
        return out

    def groups(self, pid: int) -> list[str]:
        return list(self.by_producer.get(pid, {}))
