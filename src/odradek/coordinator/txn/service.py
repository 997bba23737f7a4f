"""The transaction coordinator: one shard per loaded ``__transaction_state`` partition.

Every write goes through the runtime (records appended and replayed; in a cluster the caller
answers once they are committed, see :meth:`TransactionCoordinator.when_committed`).
Completing a prepared transaction (two-phase commit, second phase) starts once the Prepare
record is committed: the markers go out through the
:class:`~odradek.coordinator.txn.markers.MarkerWriter` (at once on one broker, to the partition
leaders in a cluster), then the CompleteCommit/CompleteAbort record is written. Until then the
transaction stays prepared (clients get CONCURRENT_TRANSACTIONS); a marker that cannot be written
is retried at a later ``tick``. A deleted partition counts as written, as in Kafka. On load,
prepared transactions are completed again (a second marker closes nothing).

Consumer offsets of a transaction (TxnOffsetCommit) live with the group coordinator, in
``__consumer_offsets``; the COMMIT marker written there makes them visible.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from odradek.common.clock import Clock
from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.runtime import (
    Completion,
    CoordinatorResult,
    CoordinatorShard,
    PartitionReader,
    PartitionWriter,
    Record,
)
from odradek.coordinator.txn import ops
from odradek.coordinator.txn.markers import MarkerRequest, MarkerWriter
from odradek.coordinator.txn.metadata import TxnMetadata, TxnShardState
from odradek.coordinator.txn.records import TxnState, partition_for

log = logging.getLogger(__name__)
RETRY_MS = 200
_DONE = (ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)


@dataclass(frozen=True, slots=True)
class TxnConfig:
    num_partitions: int = 50
    max_timeout_ms: int = 900_000
    id_expiration_ms: int = 604_800_000
    expiration_check_ms: int = 3_600_000


class TransactionCoordinator:
    def __init__(
        self,
        config: TxnConfig,
        clock: Clock,
        new_producer_id: Callable[[], int],
        markers: MarkerWriter,
    ) -> None:
        self.config = config
        self.clock = clock
        self.new_producer_id = new_producer_id
        self.markers = markers
        self._shards: dict[int, tuple[CoordinatorShard, TxnShardState]] = {}
        self._next_expiry_check = clock.now_ms() + config.expiration_check_ms

    # ------------------------------------------------------------------ partitions
    def partition_for(self, txn_id: str) -> int:
        return partition_for(txn_id, self.config.num_partitions)

    def load(
        self,
        partition: int,
        writer: PartitionWriter,
        reader: PartitionReader,
        coordinator_epoch: int = 0,
    ) -> int:
        state = TxnShardState(partition, coordinator_epoch)
        shard = CoordinatorShard(partition, state, writer)
        count = shard.load(reader)
        self._shards[partition] = (shard, state)
        for m in list(state.txns.values()):
            if m.state in ops.PREPARING:
                self._complete(shard, state, m.transactional_id)
        return count

    def unload(self, partition: int) -> None:
        """Another broker coordinates ``partition`` now: forget it (in-flight work is ignored)."""
        self._shards.pop(partition, None)

    def is_loaded(self, partition: int) -> bool:
        return partition in self._shards

    def when_committed(self, txn_id: str, callback: Completion) -> None:
        """``callback`` once everything written for ``txn_id``'s partition is committed."""
        entry = self._shards.get(self.partition_for(txn_id)) if txn_id else None
        if entry is None:  # unloaded meanwhile: another broker coordinates it now
            callback(ErrorCode.NOT_COORDINATOR if txn_id else ErrorCode.NONE)
            return
        entry[0].when_committed(entry[0].last_offset, callback)

    def shards(self) -> list[TxnShardState]:
        return [st for _sh, st in self._shards.values()]

    def _shard(self, txn_id: str) -> tuple[CoordinatorShard, TxnShardState]:
        if not txn_id:
            raise KafkaError(ErrorCode.INVALID_REQUEST, "transactional id must not be empty")
        entry = self._shards.get(self.partition_for(txn_id))
        if entry is None:
            raise KafkaError(ErrorCode.NOT_COORDINATOR, f"not the coordinator of {txn_id}")
        return entry

    def _write(self, shard: CoordinatorShard, records: list[Record]) -> ErrorCode:
        """Append and replay ``records``; the append error (commitment is the caller's wait)."""
        if not records:
            return ErrorCode.NONE
        return shard.run(CoordinatorResult(list(records)), self.clock.now_ms())

    def _current(self, shard: CoordinatorShard, st: TxnShardState) -> bool:
        entry = self._shards.get(st.partition)
        return entry is not None and entry[0] is shard

    # ------------------------------------------------------------------ APIs
    def init_producer_id(
        self, txn_id: str, timeout_ms: int, expected: tuple[int, int] = (-1, -1)
    ) -> tuple[ErrorCode, int, int]:
        shard, st = self._shard(txn_id)
        if timeout_ms <= 0 or timeout_ms > self.config.max_timeout_ms:
            return ErrorCode.INVALID_TRANSACTION_TIMEOUT, -1, -1
        out = ops.init_producer_id(
            st, txn_id, timeout_ms, expected, self.clock.now_ms(), self.new_producer_id
        )
        error = self._write(shard, list(out.records))
        if error != ErrorCode.NONE:
            return error, -1, -1
        if out.complete:
            self._complete(shard, st, txn_id)
        return out.error, out.producer_id, out.epoch

    def add_partitions(
        self, txn_id: str, pid: int, epoch: int, partitions: frozenset[tuple[str, int]]
    ) -> ErrorCode:
        shard, st = self._shard(txn_id)
        error, records = ops.add_partitions(st, txn_id, pid, epoch, partitions, self.clock.now_ms())
        if error != ErrorCode.NONE:
            return error
        return self._write(shard, records)

    def verify_partitions(
        self, txn_id: str, pid: int, epoch: int, partitions: frozenset[tuple[str, int]]
    ) -> dict[tuple[str, int], ErrorCode]:
        _shard, st = self._shard(txn_id)
        return ops.verify_partitions(st, txn_id, pid, epoch, partitions)

    def end_txn(self, txn_id: str, pid: int, epoch: int, commit: bool) -> ErrorCode:
        shard, st = self._shard(txn_id)
        error, records = ops.end_txn(st, txn_id, pid, epoch, commit, self.clock.now_ms())
        if error != ErrorCode.NONE or not records:
            return error
        error = self._write(shard, records)
        if error == ErrorCode.NONE:
            self._complete(shard, st, txn_id)
        return error

    def check_producer(self, txn_id: str, pid: int, epoch: int) -> ErrorCode | None:
        """TxnOffsetCommit's producer check when the transaction is coordinated here (None when
        it is not: the group coordinator's log then fences stale epochs)."""
        entry = self._shards.get(self.partition_for(txn_id)) if txn_id else None
        if entry is None:
            return None
        m = entry[1].txns.get(txn_id)
        if m is None or m.producer_id != pid:
            return ErrorCode.INVALID_PRODUCER_ID_MAPPING
        if m.epoch != epoch:
            return ErrorCode.PRODUCER_FENCED
        if m.state != TxnState.ONGOING:
            return ErrorCode.INVALID_TXN_STATE
        return ErrorCode.NONE

    def describe(self, txn_id: str) -> TxnMetadata | None:
        _shard, st = self._shard(txn_id)
        return st.txns.get(txn_id)

    def all_transactions(self) -> list[TxnMetadata]:
        return [m for st in self.shards() for m in st.txns.values()]

    def txn_of_producer(self, txn_id: str) -> TxnMetadata | None:
        entry = self._shards.get(self.partition_for(txn_id)) if txn_id else None
        return None if entry is None else entry[1].txns.get(txn_id)

    # ------------------------------------------------------------------ completion
    def _complete(self, shard: CoordinatorShard, st: TxnShardState, txn_id: str) -> None:
        """Second phase, once the Prepare record is committed: markers, then Complete."""
        m = st.txns.get(txn_id)
        if m is None or m.state not in ops.PREPARING or txn_id in st.completing:
            return
        st.completing.add(txn_id)
        shard.when_committed(
            shard.last_offset, lambda error: self._send_markers(shard, st, txn_id, error)
        )

    def _retry_later(self, st: TxnShardState, txn_id: str) -> None:
        st.completing.discard(txn_id)
        st.timers.schedule(("complete", txn_id), self.clock.now_ms() + RETRY_MS)

    def _send_markers(
        self, shard: CoordinatorShard, st: TxnShardState, txn_id: str, error: ErrorCode
    ) -> None:
        m = st.txns.get(txn_id)
        if not self._current(shard, st) or m is None or m.state not in ops.PREPARING:
            st.completing.discard(txn_id)
            return
        if error != ErrorCode.NONE:
            log.warning("prepare record of %s not committed yet: %s", txn_id, error.name)
            self._retry_later(st, txn_id)
            return
        request = MarkerRequest(
            m.producer_id,
            m.epoch,
            st.coordinator_epoch,
            m.state == TxnState.PREPARE_COMMIT,
            tuple(sorted(m.partitions)),
        )

        def wanted() -> bool:
            now = st.txns.get(txn_id)
            return (
                self._current(shard, st)
                and now is not None
                and (now.producer_id, now.epoch, now.state) == (m.producer_id, m.epoch, m.state)
            )

        def done(errors: dict[tuple[str, int], ErrorCode]) -> None:
            self._markers_written(shard, st, txn_id, errors, wanted)

        if not m.partitions:
            done({})
            return
        self.markers.write_markers(request, done, wanted)

    def _markers_written(
        self,
        shard: CoordinatorShard,
        st: TxnShardState,
        txn_id: str,
        errors: dict[tuple[str, int], ErrorCode],
        wanted: Callable[[], bool],
    ) -> None:
        if not wanted():
            st.completing.discard(txn_id)
            return
        failed = {tp: e for tp, e in errors.items() if e not in _DONE}
        if failed:
            log.warning("markers for %s not written yet: %s", txn_id, failed)
            self._retry_later(st, txn_id)
            return
        m = st.txns[txn_id]
        st.completing.discard(txn_id)
        if self._write(shard, ops.complete(st, m, self.clock.now_ms())) != ErrorCode.NONE:
            st.timers.schedule(("complete", txn_id), self.clock.now_ms() + RETRY_MS)

    # ------------------------------------------------------------------ deadlines
    def next_deadline_ms(self) -> int | None:
        deadlines = [
            d for _s, st in self._shards.values() if (d := st.timers.next_deadline()) is not None
        ]
        deadlines.append(self._next_expiry_check)
        return min(deadlines)

    def tick(self) -> int:
        """Abort timed-out transactions, retry completions, expire idle ids; returns actions."""
        now = self.clock.now_ms()
        done = 0
        for shard, st in list(self._shards.values()):
            due = st.timers.due(now)
            retries = [str(k[1]) for k in due if isinstance(k, tuple)]
            expired = [str(k) for k in due if not isinstance(k, tuple)]
            for txn_id, record in ops.abort_timed_out(st, expired, now):
                log.info("aborting transaction %s: timed out", txn_id)
                if self._write(shard, [record]) == ErrorCode.NONE:
                    self._complete(shard, st, txn_id)
                    done += 1
            for txn_id in retries:
                self._complete(shard, st, txn_id)
                done += 1
        if now >= self._next_expiry_check:
            self._next_expiry_check = now + self.config.expiration_check_ms
            for shard, st in list(self._shards.values()):
                tombstones = ops.expired_ids(st, now, self.config.id_expiration_ms)
                if tombstones and self._write(shard, tombstones) == ErrorCode.NONE:
                    done += len(tombstones)
        return done
