"""Idempotent producer state of a Log: duplicates, sequences, epochs, markers, snapshots."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import iter_batches
from odradek.records.builder import SimpleRecord, build_batch
from odradek.storage.log import Log


def data(pid: int, epoch: int, seq: int, n: int = 1, txn: bool = False) -> memoryview:
    recs = [SimpleRecord(b"k", f"v{seq + i}".encode()) for i in range(n)]
    raw = build_batch(
        recs,
        timestamp=1000,
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        transactional=txn,
    )
    return memoryview(bytearray(raw))


def marker(pid: int, epoch: int, commit: bool, coordinator_epoch: int = 0) -> memoryview:
    key = struct.pack(">hh", 0, 1 if commit else 0)
    value = struct.pack(">hi", 0, coordinator_epoch)
    raw = build_batch(
        [SimpleRecord(key, value)],
        timestamp=1000,
        producer_id=pid,
        producer_epoch=epoch,
        transactional=True,
        control=True,
    )
    return memoryview(bytearray(raw))


def open_log(tmp: Path, clean: bool = True, **cfg: int) -> Log:
    return Log(tmp / "t-0", LogConfig(**cfg), ManualClock(), clean_shutdown=clean)  # type: ignore[arg-type]


def code_of(fn: object) -> ErrorCode:
    with pytest.raises(KafkaError) as info:
        fn()  # type: ignore[operator]
    return info.value.code


def test_retry_of_a_recent_batch_returns_the_original_offsets(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    first = lg.append_as_leader(data(7, 0, 0, 3), 0)
    second = lg.append_as_leader(data(7, 0, 3, 2), 0)
    assert (first.first_offset, second.first_offset) == (0, 3)
    again = lg.append_as_leader(data(7, 0, 0, 3), 0)
    assert (again.first_offset, again.last_offset) == (0, 2)
    assert lg.log_end_offset == 5


def test_only_the_last_five_batches_are_remembered(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    for seq in range(7):
        lg.append_as_leader(data(7, 0, seq), 0)
    assert lg.append_as_leader(data(7, 0, 2), 0).first_offset == 2
    assert code_of(lambda: lg.append_as_leader(data(7, 0, 1), 0)) == (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert lg.log_end_offset == 7


def test_gap_in_sequence_is_out_of_order_and_writes_nothing(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(7, 0, 0), 0)
    assert code_of(lambda: lg.append_as_leader(data(7, 0, 2), 0)) == (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert lg.log_end_offset == 1
    assert lg.append_as_leader(data(7, 0, 1), 0).first_offset == 1


def test_epoch_rules(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(7, 1, 0), 0)
    assert code_of(lambda: lg.append_as_leader(data(7, 0, 1), 0)) == (
        ErrorCode.INVALID_PRODUCER_EPOCH
    )
    assert code_of(lambda: lg.append_as_leader(data(7, 2, 5), 0)) == (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert lg.append_as_leader(data(7, 2, 0), 0).first_offset == 1


def test_unknown_producer_may_start_at_any_sequence(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    assert lg.append_as_leader(data(9, 3, 42), 0).first_offset == 0
    assert lg.append_as_leader(data(9, 3, 43), 0).first_offset == 1


def test_sequence_wraps_at_int_max(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(9, 0, 2**31 - 2, 2), 0)
    assert lg.append_as_leader(data(9, 0, 0), 0).first_offset == 2


def test_clients_cannot_write_markers(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    assert code_of(lambda: lg.append_as_leader(marker(7, 0, True), 0)) == ErrorCode.INVALID_RECORD


def test_transactions_move_the_lso_and_aborts_are_indexed(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(1, 0, 0), 0)  # 0: idempotent, not transactional
    lg.append_as_leader(data(5, 0, 0, 2, txn=True), 0)  # 1-2
    lg.append_as_leader(data(6, 0, 0, 1, txn=True), 0)  # 3
    assert lg.last_stable_offset == 1
    assert code_of(lambda: lg.append_as_leader(data(5, 0, 2), 0)) == ErrorCode.INVALID_TXN_STATE
    lg.append_as_leader(marker(5, 0, False), 0, from_client=False)  # 4
    assert lg.last_stable_offset == 3
    lg.append_as_leader(marker(6, 0, True), 0, from_client=False)  # 5
    assert lg.last_stable_offset == lg.high_watermark == 6
    assert lg.aborted_transactions(0, 6) == [(5, 1)]
    assert lg.aborted_transactions(5, 6) == []
    assert (tmp_path / "t-0" / f"{0:020d}.txnindex").stat().st_size == 34


def test_stale_coordinator_epoch_is_fenced(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(5, 0, 0, 1, txn=True), 0)
    lg.append_as_leader(marker(5, 0, True, coordinator_epoch=3), 0, from_client=False)
    lg.append_as_leader(data(5, 0, 1, 1, txn=True), 0)
    got = code_of(lambda: lg.append_as_leader(marker(5, 0, True, 2), 0))
    assert got == ErrorCode.INVALID_RECORD  # a client never writes markers
    got = code_of(lambda: lg.append_as_leader(marker(5, 0, True, 2), 0, from_client=False))
    assert got == ErrorCode.TRANSACTION_COORDINATOR_FENCED
    lg.append_as_leader(marker(5, 1, False, 3), 0, from_client=False)  # fencing bump
    got = code_of(lambda: lg.append_as_leader(marker(5, 0, True, 3), 0, from_client=False))
    assert got == ErrorCode.INVALID_PRODUCER_EPOCH
    assert lg.aborted_transactions(0, 100) == [(5, 2)]


def test_state_survives_clean_restart_through_a_snapshot(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(7, 0, 0, 2), 0)
    lg.append_as_leader(data(8, 0, 0, 1, txn=True), 0)
    lg.close()
    assert (tmp_path / "t-0" / f"{3:020d}.snapshot").exists()
    lg = open_log(tmp_path)
    assert lg.append_as_leader(data(7, 0, 0, 2), 0).first_offset == 0  # duplicate
    assert lg.last_stable_offset == 2
    assert code_of(lambda: lg.append_as_leader(data(7, 0, 5), 0)) == (
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )


def test_state_is_rebuilt_from_the_log_after_a_crash(tmp_path: Path) -> None:
    lg = open_log(tmp_path, segment_bytes=400)
    for seq in range(6):
        lg.append_as_leader(data(7, 0, seq), 0)
    lg.append_as_leader(data(8, 0, 0, 1, txn=True), 0)
    lg.append_as_leader(marker(8, 0, False), 0, from_client=False)
    assert len(lg.segments()) == 2  # a snapshot was taken at offset 5
    lg.abandon()
    (tmp_path / "t-0" / f"{0:020d}.txnindex").unlink(missing_ok=True)
    for p in (tmp_path / "t-0").glob("*.txnindex"):
        p.unlink()
    lg = open_log(tmp_path, clean=False, segment_bytes=400)
    assert lg.append_as_leader(data(7, 0, 5), 0).first_offset == 5  # duplicate of the last
    assert lg.append_as_leader(data(7, 0, 6), 0).first_offset == 8
    assert lg.aborted_transactions(0, 100) == [(8, 6)]


def test_truncation_rewinds_producer_state(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(7, 0, 0), 0)
    lg.append_as_leader(data(7, 0, 1), 0)
    lg.truncate_to(1)
    assert lg.append_as_leader(data(7, 0, 1), 0).first_offset == 1
    assert [
        h.base_offset
        for _p, h in iter_batches(b"".join(bytes(b) for b in lg.read(0, 10**6).buffers))
    ] == [0, 1]


def test_idle_producers_expire(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(7, 0, 0), 0)
    lg.txns.producers.expiration_ms = 500
    lg.apply_retention(1000 + 499)
    assert 7 in lg.txns.producers.producers
    lg.apply_retention(1000 + 500)
    assert 7 not in lg.txns.producers.producers
    assert lg.append_as_leader(data(7, 0, 17), 0).first_offset == 1


def test_unclean_restart_without_any_snapshot_rebuilds_the_active_segment(tmp_path: Path) -> None:
    lg = open_log(tmp_path)
    lg.append_as_leader(data(3, 0, 0), 0)
    lg.append_as_leader(data(4, 0, 0, 2, txn=True), 0)
    lg.abandon()
    assert not list((tmp_path / "t-0").glob("*.snapshot"))
    lg = open_log(tmp_path, clean=False)
    assert lg.append_as_leader(data(3, 0, 0), 0).first_offset == 0  # duplicate
    assert lg.last_stable_offset == 1  # the open transaction of producer 4
