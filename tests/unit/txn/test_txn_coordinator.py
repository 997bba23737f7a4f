"""Transaction coordinator state machine on a virtual clock, with in-memory partitions."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from odradek.common.clock import ManualClock
from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.runtime import InMemoryPartition
from odradek.coordinator.txn.markers import MarkerRequest
from odradek.coordinator.txn.records import TxnState, TxnValue, decode_value, encode_key
from odradek.coordinator.txn.service import TransactionCoordinator, TxnConfig

E = ErrorCode
TP = frozenset({("orders", 0), ("orders", 1)})


class FakeMarkers:
    def __init__(self) -> None:
        self.written: list[MarkerRequest] = []
        self.fail: ErrorCode | None = None

    def write_markers(
        self,
        request: MarkerRequest,
        done: Callable[[dict[tuple[str, int], ErrorCode]], None],
        still_wanted: Callable[[], bool],
    ) -> None:
        if self.fail is not None:
            done(dict.fromkeys(request.partitions, self.fail))
            return
        self.written.append(request)
        done(dict.fromkeys(request.partitions, E.NONE))


class DeferredMarkers:
    """Markers answered later (a cluster): ``finish`` runs the waiting callbacks."""

    def __init__(self) -> None:
        self.waiting: list[tuple[MarkerRequest, Callable[..., None], Callable[[], bool]]] = []

    def write_markers(
        self,
        request: MarkerRequest,
        done: Callable[[dict[tuple[str, int], ErrorCode]], None],
        still_wanted: Callable[[], bool],
    ) -> None:
        self.waiting.append((request, done, still_wanted))

    def finish(self, code: ErrorCode = E.NONE) -> None:
        waiting, self.waiting = self.waiting, []
        for request, done, _wanted in waiting:
            done(dict.fromkeys(request.partitions, code))


class Harness:
    def __init__(self, **cfg: int) -> None:
        self.clock = ManualClock(start_ms=1_000_000)
        self.ids = itertools.count(1000)
        self.markers = FakeMarkers()
        self.part = InMemoryPartition()
        self.config = TxnConfig(num_partitions=1, **cfg)
        self.coord = self.restart()

    def restart(self) -> TransactionCoordinator:
        coord = TransactionCoordinator(
            self.config, self.clock, lambda: next(self.ids), self.markers
        )
        coord.load(0, self.part, self.part)
        self.coord = coord
        return coord

    def states(self, txn_id: str) -> list[TxnState]:
        key = encode_key(txn_id)
        return [decode_value(v).state for _o, k, v in self.part.records if k == key and v]


def test_commit_writes_prepare_markers_complete() -> None:
    h = Harness()
    err, pid, epoch = h.coord.init_producer_id("t1", 60_000)
    assert (err, pid, epoch) == (E.NONE, 1000, 0)
    assert h.coord.add_partitions("t1", pid, epoch, TP) == E.NONE
    assert h.coord.add_partitions("t1", pid, epoch, TP) == E.NONE  # nothing new: no record
    assert h.coord.end_txn("t1", pid, epoch, True) == E.NONE
    assert h.states("t1") == [
        TxnState.EMPTY,
        TxnState.ONGOING,
        TxnState.PREPARE_COMMIT,
        TxnState.COMPLETE_COMMIT,
    ]
    assert [(m.commit, m.partitions) for m in h.markers.written] == [
        (True, (("orders", 0), ("orders", 1)))
    ]
    assert h.coord.end_txn("t1", pid, epoch, True) == E.NONE  # retry after completion
    assert h.coord.end_txn("t1", pid, epoch, False) == E.INVALID_TXN_STATE


def test_init_bumps_epoch_and_fences_the_old_producer() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    _, pid2, e1 = h.coord.init_producer_id("t1", 60_000)
    assert (pid2, e1) == (pid, e0 + 1)
    assert h.coord.add_partitions("t1", pid, e0, TP) == E.PRODUCER_FENCED
    assert h.coord.end_txn("t1", pid, e0, True) == E.PRODUCER_FENCED
    assert h.coord.add_partitions("t1", 42, e1, TP) == E.INVALID_PRODUCER_ID_MAPPING


def test_init_on_ongoing_aborts_it_with_a_bumped_epoch() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    h.coord.add_partitions("t1", pid, e0, TP)
    err, _, _ = h.coord.init_producer_id("t1", 60_000)
    assert err == E.CONCURRENT_TRANSACTIONS
    assert h.markers.written[-1].commit is False and h.markers.written[-1].producer_epoch == 1
    err, pid2, e2 = h.coord.init_producer_id("t1", 60_000)
    assert (err, pid2, e2) == (E.NONE, pid, 2)
    assert h.coord.end_txn("t1", pid, e0, True) == E.PRODUCER_FENCED


def test_kip360_retry_and_recovery() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    err, _, e1 = h.coord.init_producer_id("t1", 60_000, (pid, e0))  # recovery: bump
    assert (err, e1) == (E.NONE, e0 + 1)
    assert h.coord.init_producer_id("t1", 60_000, (pid, e0)) == (E.NONE, pid, e1)  # retry
    assert h.coord.init_producer_id("t1", 60_000, (pid, 7))[0] == E.PRODUCER_FENCED
    assert h.coord.init_producer_id("t1", 60_000, (999, 0))[0] == E.PRODUCER_FENCED


def test_exhausted_epoch_rotates_the_producer_id() -> None:
    h = Harness()
    h.part.append(
        [
            (
                encode_key("t1"),
                TxnValue(5, 32766, 60_000, TxnState.EMPTY, frozenset(), 0, -1).encode(),
            )
        ],
        0,
    )
    h.restart()
    err, pid, epoch = h.coord.init_producer_id("t1", 60_000)
    assert (err, epoch) == (E.NONE, 0) and pid != 5


def test_timeout_aborts_and_fences() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 10_000)
    h.coord.add_partitions("t1", pid, e0, TP)
    deadline = h.coord.next_deadline_ms()
    assert deadline == h.clock.now_ms() + 10_000
    h.clock.advance(9_999)
    assert h.coord.tick() == 0
    h.clock.advance(1)
    assert h.coord.tick() == 1
    assert h.states("t1")[-2:] == [TxnState.PREPARE_ABORT, TxnState.COMPLETE_ABORT]
    assert h.markers.written[-1].commit is False
    assert h.coord.end_txn("t1", pid, e0, True) == E.PRODUCER_FENCED
    assert h.coord.describe("t1").epoch == e0 + 1  # type: ignore[union-attr]


def test_marker_failure_keeps_prepared_and_retries() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    h.coord.add_partitions("t1", pid, e0, TP)
    h.markers.fail = E.NOT_LEADER_OR_FOLLOWER
    assert h.coord.end_txn("t1", pid, e0, True) == E.NONE
    assert h.coord.end_txn("t1", pid, e0, True) == E.CONCURRENT_TRANSACTIONS  # concurrent EndTxn
    assert h.coord.end_txn("t1", pid, e0, False) == E.INVALID_TXN_STATE
    assert h.coord.add_partitions("t1", pid, e0, TP) == E.CONCURRENT_TRANSACTIONS
    h.markers.fail = None
    h.clock.advance(1_000)
    h.coord.tick()
    assert h.states("t1")[-1] == TxnState.COMPLETE_COMMIT


def test_prepared_transaction_is_completed_after_reload() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    h.coord.add_partitions("t1", pid, e0, TP)
    h.markers.fail = E.NOT_LEADER_OR_FOLLOWER
    h.coord.end_txn("t1", pid, e0, False)
    h.markers.fail = None
    h.restart()
    assert h.states("t1")[-1] == TxnState.COMPLETE_ABORT
    assert h.markers.written[-1].commit is False


def test_append_failure_leaves_state_untouched() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    h.part.fail_with = E.NOT_ENOUGH_REPLICAS
    assert h.coord.add_partitions("t1", pid, e0, TP) == E.COORDINATOR_NOT_AVAILABLE
    assert h.coord.describe("t1").state == TxnState.EMPTY  # type: ignore[union-attr]


def test_state_is_rebuilt_on_load() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    h.coord.add_partitions("t1", pid, e0, TP)
    h.restart()
    m = h.coord.describe("t1")
    assert m is not None and (m.state, m.partitions, m.epoch) == (TxnState.ONGOING, TP, e0)
    assert h.coord.end_txn("t1", pid, e0, True) == E.NONE


def test_idle_ids_expire() -> None:
    h = Harness(id_expiration_ms=5_000, expiration_check_ms=1_000)
    h.coord.init_producer_id("t1", 60_000)
    h.clock.advance(4_000)
    h.coord.tick()
    assert h.coord.describe("t1") is not None
    h.clock.advance(2_000)
    h.coord.tick()
    assert h.coord.describe("t1") is None
    assert h.part.records[-1][2] is None


@pytest.mark.parametrize("timeout", [0, 900_001])
def test_invalid_timeout(timeout: int) -> None:
    assert Harness().coord.init_producer_id("t1", timeout)[0] == E.INVALID_TRANSACTION_TIMEOUT


def test_deferred_markers_keep_the_transaction_prepared_until_written() -> None:
    h = Harness()
    deferred = DeferredMarkers()
    h.coord.markers = deferred
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    h.coord.add_partitions("t1", pid, e0, TP)
    assert h.coord.end_txn("t1", pid, e0, True) == E.NONE
    assert h.states("t1")[-1] == TxnState.PREPARE_COMMIT
    assert len(deferred.waiting) == 1 and deferred.waiting[0][2]()
    assert h.coord.add_partitions("t1", pid, e0, TP) == E.CONCURRENT_TRANSACTIONS
    h.clock.advance(1_000)
    h.coord.tick()  # a retry while the markers are in flight sends nothing more
    assert len(deferred.waiting) == 1
    deferred.finish(E.NOT_LEADER_OR_FOLLOWER)
    assert h.states("t1")[-1] == TxnState.PREPARE_COMMIT
    h.clock.advance(1_000)
    h.coord.tick()
    assert len(deferred.waiting) == 1
    deferred.finish()
    assert h.states("t1")[-1] == TxnState.COMPLETE_COMMIT


def test_unloaded_partition_ignores_late_marker_answers() -> None:
    h = Harness()
    deferred = DeferredMarkers()
    h.coord.markers = deferred
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    h.coord.add_partitions("t1", pid, e0, TP)
    h.coord.end_txn("t1", pid, e0, False)
    h.coord.unload(0)
    assert not deferred.waiting[0][2]()  # the sender stops retrying
    before = len(h.part.records)
    deferred.finish()
    assert len(h.part.records) == before  # no Complete record from a former coordinator
    with pytest.raises(KafkaError) as exc:
        h.coord.end_txn("t1", pid, e0, False)
    assert exc.value.code == E.NOT_COORDINATOR


def test_producer_check_for_txn_offset_commit() -> None:
    h = Harness()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    assert h.coord.check_producer("t1", pid, e0) == E.INVALID_TXN_STATE
    h.coord.add_partitions("t1", pid, e0, TP)
    assert h.coord.check_producer("t1", pid, e0) == E.NONE
    assert h.coord.check_producer("t1", pid, e0 - 1) == E.PRODUCER_FENCED
    assert h.coord.check_producer("t1", pid + 1, e0) == E.INVALID_PRODUCER_ID_MAPPING
    h.coord.unload(0)
    assert h.coord.check_producer("t1", pid, e0) is None


class UncommittedPartition(InMemoryPartition):
    """Commits only when told (a replicated ``__transaction_state`` partition)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[Callable[[ErrorCode], None]] = []

    def when_committed(self, offset: int, callback: Callable[[ErrorCode], None]) -> None:
        self.waiting.append(callback)

    def commit_all(self, code: ErrorCode = E.NONE) -> None:
        waiting, self.waiting = self.waiting, []
        for cb in waiting:
            cb(code)


def test_markers_wait_for_the_prepare_record_to_be_committed() -> None:
    h = Harness()
    part = UncommittedPartition()
    h.part = part
    h.restart()
    _, pid, e0 = h.coord.init_producer_id("t1", 60_000)
    h.coord.add_partitions("t1", pid, e0, TP)
    assert h.coord.end_txn("t1", pid, e0, True) == E.NONE
    assert h.markers.written == []  # PrepareCommit not replicated yet: no marker
    part.commit_all(E.REQUEST_TIMED_OUT)
    assert h.markers.written == [] and h.states("t1")[-1] == TxnState.PREPARE_COMMIT
    h.clock.advance(1_000)
    h.coord.tick()  # the retry waits again
    part.commit_all()
    assert [m.commit for m in h.markers.written] == [True]
    assert h.states("t1")[-1] == TxnState.COMPLETE_COMMIT
    got: list[ErrorCode] = []
    h.coord.when_committed("t1", got.append)
    assert got == [] and len(part.waiting) == 1
    part.commit_all(E.NOT_LEADER_OR_FOLLOWER)
    assert got == [E.NOT_COORDINATOR]
