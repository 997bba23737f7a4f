"""Per-transactional-id state of one ``__transaction_state`` partition, and its ``replay``.

``TxnMetadata`` holds what the latest record says plus what replay derives: the previous
producer id (set when the id rotates on an exhausted epoch) and the previous epoch (set when
a record bumps the epoch); Kafka keeps these in memory only, and so do we. ``replay`` is the
only code that changes durable fields, live and on load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from odradek.coordinator.runtime import Timers
from odradek.coordinator.txn.records import TxnState, TxnValue, decode_key, decode_value

NO_PRODUCER_ID = -1
NO_EPOCH = -1
MAX_EPOCH = 32767 - 1  # Short.MaxValue - 1: a bump past it rotates the producer id


@dataclass(slots=True)
class TxnMetadata:
    transactional_id: str
    producer_id: int
    epoch: int
    timeout_ms: int
    state: TxnState
    partitions: frozenset[tuple[str, int]] = frozenset()
    last_update_ms: int = -1
    start_ms: int = -1
    last_producer_id: int = NO_PRODUCER_ID
    last_epoch: int = NO_EPOCH

    @property
    def epoch_exhausted(self) -> bool:
        return self.epoch >= MAX_EPOCH

    def value(self, **changes: object) -> TxnValue:
        """The record of this metadata with ``changes`` applied (not applied here)."""
        base: dict[str, object] = {
            "producer_id": self.producer_id,
            "producer_epoch": self.epoch,
            "timeout_ms": self.timeout_ms,
            "state": self.state,
            "partitions": self.partitions,
            "last_update_ms": self.last_update_ms,
            "start_ms": self.start_ms,
        }
        base.update(changes)
        return TxnValue(**base)  # type: ignore[arg-type]


@dataclass(slots=True)
class TxnShardState:
    """The transactional ids of one partition; deadlines are volatile."""

    partition: int
    coordinator_epoch: int = 0
    txns: dict[str, TxnMetadata] = field(default_factory=dict)
    timers: Timers = field(default_factory=Timers)
    # prepared transactions whose second phase is under way (markers in flight): volatile
    completing: set[str] = field(default_factory=set)

    def replay(self, offset: int, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        found = decode_key(key)
        if found is None:
            return
        txn_id = found
        if value is None:
            self.txns.pop(txn_id, None)
            self.timers.cancel(txn_id)
            return
        v = decode_value(value)
        old = self.txns.get(txn_id)
        m = TxnMetadata(
            txn_id,
            v.producer_id,
            v.producer_epoch,
            v.timeout_ms,
            v.state,
            v.partitions,
            v.last_update_ms,
            v.start_ms,
        )
        if old is not None:
            m.last_producer_id, m.last_epoch = old.last_producer_id, old.last_epoch
            if old.producer_id != v.producer_id:
                m.last_producer_id, m.last_epoch = old.producer_id, old.epoch
            elif v.producer_epoch > old.epoch:
                # a bump that fences an open transaction leaves no epoch to retry with
                m.last_epoch = NO_EPOCH if old.state == TxnState.ONGOING else old.epoch
        self.txns[txn_id] = m
        if m.state == TxnState.ONGOING:
            self.timers.schedule(txn_id, m.start_ms + m.timeout_ms)
        else:
            self.timers.cancel(txn_id)
