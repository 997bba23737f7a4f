"""Transaction coordinator ops: ``op(state, request, now) -> (error, records)``, no mutation.

The rules are Kafka's ``TransactionCoordinator``/``TransactionMetadata`` ones:

* InitProducerId: a new id gets a producer id at epoch 0; an idle one (Empty, CompleteCommit,
  CompleteAbort) gets its epoch bumped (a new producer id once the epoch is exhausted); an
  Ongoing one is fenced: the epoch is bumped and the transaction aborted, and the caller is
  told CONCURRENT_TRANSACTIONS so it retries once the abort is complete. KIP-360: a request
  carrying the producer id/epoch it had is a retry (previous epoch: the current one is
  returned unchanged) or a recovery (current epoch: bumped); anything else is PRODUCER_FENCED.
* AddPartitionsToTxn / AddOffsetsToTxn: the producer id must map, the epoch must be the
  current one (else PRODUCER_FENCED), no completion may be in flight (CONCURRENT_TRANSACTIONS);
  the partitions join the transaction, which becomes Ongoing (its timeout starts then).
* EndTxn: Ongoing → PrepareCommit/PrepareAbort; a retry after completion of the same
  outcome succeeds; the other outcome, or ending an Empty transaction, is INVALID_TXN_STATE.
* A transaction Ongoing for longer than its timeout is fenced and aborted like above.
* An idle id not used for ``transactional.id.expiration.ms`` is removed (tombstone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from odradek.common.errors import ErrorCode
from odradek.coordinator.runtime import Record
from odradek.coordinator.txn.metadata import (
    MAX_EPOCH,
    NO_EPOCH,
    NO_PRODUCER_ID,
    TxnMetadata,
    TxnShardState,
)
from odradek.coordinator.txn.records import TxnState, TxnValue, encode_key

S = TxnState
E = ErrorCode
IDLE = (S.EMPTY, S.COMPLETE_COMMIT, S.COMPLETE_ABORT)
PREPARING = (S.PREPARE_COMMIT, S.PREPARE_ABORT)


@dataclass(frozen=True, slots=True)
class InitOutcome:
    error: ErrorCode
    producer_id: int = NO_PRODUCER_ID
    epoch: int = NO_EPOCH
    records: tuple[Record, ...] = ()
    complete: bool = False  # an Ongoing transaction was fenced: complete its abort


def _record(txn_id: str, value: TxnValue) -> Record:
    return (encode_key(txn_id), value.encode())


def _idle_value(pid: int, epoch: int, timeout_ms: int, now: int) -> TxnValue:
    return TxnValue(pid, epoch, timeout_ms, S.EMPTY, frozenset(), now, -1)


def init_producer_id(
    st: TxnShardState,
    txn_id: str,
    timeout_ms: int,
    expected: tuple[int, int],
    now: int,
    new_producer_id: Callable[[], int],
) -> InitOutcome:
    m = st.txns.get(txn_id)
    if m is None:
        pid = new_producer_id()
        return InitOutcome(E.NONE, pid, 0, (_record(txn_id, _idle_value(pid, 0, timeout_ms, now)),))
    exp_pid, exp_epoch = expected
    if m.state in PREPARING or m.state in (S.DEAD, S.PREPARE_EPOCH_FENCE):
        return InitOutcome(E.CONCURRENT_TRANSACTIONS)
    valid = (
        exp_pid == NO_PRODUCER_ID
        or m.epoch == NO_EPOCH
        or exp_pid == m.producer_id
        or (exp_pid == m.last_producer_id and exp_epoch >= MAX_EPOCH)
    )
    if not valid:
        return InitOutcome(E.PRODUCER_FENCED)
    if m.state == S.ONGOING:
        value = m.value(
            producer_epoch=m.epoch if m.epoch_exhausted else m.epoch + 1,
            state=S.PREPARE_ABORT,
            last_update_ms=now,
        )
        return InitOutcome(
            E.CONCURRENT_TRANSACTIONS, records=(_record(txn_id, value),), complete=True
        )
    if exp_pid != NO_PRODUCER_ID and exp_pid == m.last_producer_id != m.producer_id:
        return InitOutcome(E.NONE, m.producer_id, m.epoch)  # retry of a rotation
    if exp_pid != NO_PRODUCER_ID and m.epoch != NO_EPOCH and exp_epoch != m.epoch:
        if exp_epoch == m.last_epoch:
            return InitOutcome(E.NONE, m.producer_id, m.epoch)  # retry of a bump
        return InitOutcome(E.PRODUCER_FENCED)
    if m.epoch_exhausted:
        pid, epoch = new_producer_id(), 0
    else:
        pid, epoch = m.producer_id, m.epoch + 1
    value = _idle_value(pid, epoch, timeout_ms, now)
    return InitOutcome(E.NONE, pid, epoch, (_record(txn_id, value),))


def _check_producer(m: TxnMetadata | None, pid: int, epoch: int) -> ErrorCode:
    if m is None or m.producer_id != pid:
        return E.INVALID_PRODUCER_ID_MAPPING
    if m.epoch != epoch:
        return E.PRODUCER_FENCED
    if m.state in PREPARING or m.state in (S.DEAD, S.PREPARE_EPOCH_FENCE):
        return E.CONCURRENT_TRANSACTIONS
    return E.NONE


def add_partitions(
    st: TxnShardState,
    txn_id: str,
    pid: int,
    epoch: int,
    partitions: frozenset[tuple[str, int]],
    now: int,
) -> tuple[ErrorCode, list[Record]]:
    m = st.txns.get(txn_id)
    error = _check_producer(m, pid, epoch)
    if error != E.NONE or m is None:
        return error, []
    if m.state == S.ONGOING and partitions <= m.partitions:
        return E.NONE, []
    ongoing = m.state == S.ONGOING
    value = m.value(
        state=S.ONGOING,
        partitions=(m.partitions if ongoing else frozenset()) | partitions,
        last_update_ms=now,
        start_ms=m.start_ms if ongoing else now,
    )
    return E.NONE, [_record(txn_id, value)]


def verify_partitions(
    st: TxnShardState, txn_id: str, pid: int, epoch: int, partitions: frozenset[tuple[str, int]]
) -> dict[tuple[str, int], ErrorCode]:
    """AddPartitionsToTxn v4+ ``verify_only``: which partitions are in the transaction."""
    m = st.txns.get(txn_id)
    error = _check_producer(m, pid, epoch)
    if error != E.NONE or m is None:
        return dict.fromkeys(partitions, error)
    inside = m.partitions if m.state == S.ONGOING else frozenset()
    return {tp: E.NONE if tp in inside else E.INVALID_TXN_STATE for tp in partitions}


def end_txn(
    st: TxnShardState, txn_id: str, pid: int, epoch: int, commit: bool, now: int
) -> tuple[ErrorCode, list[Record]]:
    m = st.txns.get(txn_id)
    if m is None or m.producer_id != pid:
        return E.INVALID_PRODUCER_ID_MAPPING, []
    if m.epoch != epoch:
        return E.PRODUCER_FENCED, []
    done, preparing = (
        (S.COMPLETE_COMMIT, S.PREPARE_COMMIT) if commit else (S.COMPLETE_ABORT, S.PREPARE_ABORT)
    )
    if m.state == S.ONGOING:
        value = m.value(state=preparing, last_update_ms=now)
        return E.NONE, [_record(txn_id, value)]
    if m.state == done:
        return E.NONE, []
    if m.state == preparing:
        return E.CONCURRENT_TRANSACTIONS, []
    return E.INVALID_TXN_STATE, []


def complete(st: TxnShardState, m: TxnMetadata, now: int) -> list[Record]:
    """The CompleteCommit/CompleteAbort record that ends a prepared transaction."""
    state = S.COMPLETE_COMMIT if m.state == S.PREPARE_COMMIT else S.COMPLETE_ABORT
    txn_id = m.transactional_id
    return [_record(txn_id, m.value(state=state, partitions=frozenset(), last_update_ms=now))]


def abort_timed_out(st: TxnShardState, candidates: list[str], now: int) -> list[tuple[str, Record]]:
    """Fence-and-abort records for the ``candidates`` Ongoing past their timeout."""
    out = []
    for txn_id in candidates:
        m = st.txns.get(txn_id)
        if m is None or m.state != S.ONGOING or m.start_ms + m.timeout_ms > now:
            continue
        value = m.value(
            producer_epoch=m.epoch if m.epoch_exhausted else m.epoch + 1,
            state=S.PREPARE_ABORT,
            last_update_ms=now,
        )
        out.append((m.transactional_id, _record(m.transactional_id, value)))
    return out


def expired_ids(st: TxnShardState, now: int, expiration_ms: int) -> list[Record]:
    """Tombstones for idle ids unused for ``transactional.id.expiration.ms``."""
    return [
        (encode_key(txn_id), None)
        for txn_id, m in st.txns.items()
        if m.state in IDLE and now - m.last_update_ms >= expiration_ms
    ]
