"""LogManager startup: clean fast path, recovery of damaged tails, indexes and segments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from storage_helpers import batch, joined, mv

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import iter_batches
from odradek.storage.log import Log
from odradek.storage.log_manager import LogManager

SIZE = len(batch(1))


def manager(
    data: Path, cfg: LogConfig | None = None, clock: ManualClock | None = None
) -> LogManager:
    m = LogManager([data], cfg or LogConfig(), clock or ManualClock())
    m.startup()
    return m


def fill(m: LogManager, n: int, cfg: LogConfig | None = None, topic: str = "orders-eu") -> Log:
    log = m.get_or_create_log(topic, 0, cfg or LogConfig())
    for i in range(n):
        log.append_as_leader(mv(batch(1, tag=i)), now_ms=0)
    return log


def crash(m: LogManager) -> None:
    """What kill -9 leaves: fds gone, nothing trimmed, checkpoints as last written."""
    for log in m.all_logs():
        log.abandon()


def offsets(log: Log) -> list[int]:
    return [h.base_offset for _, h in iter_batches(joined(log))]


def seg_file(data: Path, base: int, ext: str = "log", topic: str = "orders-eu-0") -> Path:
    return data / topic / f"{base:020d}.{ext}"


def test_clean_shutdown_fast_path_trusts_files(tmp_path: Path) -> None:
    m = manager(tmp_path)
    fill(m, 10)
    m.shutdown()
    assert (tmp_path / ".kafka_cleanshutdown").exists()
    assert (tmp_path / "recovery-point-offset-checkpoint").read_text() == "0\n1\norders-eu 0 10\n"
    # damage a CRC (not a header) inside the active segment: the fast path does not scan
    path = seg_file(tmp_path, 0)
    with path.open("r+b") as f:
        f.seek(SIZE * 5 + 70)
        f.write(b"\xff")
    m2 = manager(tmp_path)
    assert not (tmp_path / ".kafka_cleanshutdown").exists()
    log = m2.get_log("orders-eu", 0)
    assert log is not None and log.log_end_offset == 10
    assert m2.recovery_report == []


def test_torn_tail_is_truncated(tmp_path: Path) -> None:
    m = manager(tmp_path)
    fill(m, 6)
    crash(m)
    with seg_file(tmp_path, 0).open("ab") as f:
        f.write(batch(1, base_offset=6)[:-10])
    m2 = manager(tmp_path)
    log = m2.get_log("orders-eu", 0)
    assert log is not None
    assert log.log_end_offset == 6 and offsets(log) == list(range(6))
    assert seg_file(tmp_path, 0).stat().st_size == 6 * SIZE
    assert any("truncated" in line for line in m2.recovery_report)
    assert log.append_as_leader(mv(batch(1)), now_ms=0).first_offset == 6


def test_zeroed_tail_is_truncated(tmp_path: Path) -> None:
    m = manager(tmp_path)
    fill(m, 4)
    crash(m)
    with seg_file(tmp_path, 0).open("ab") as f:
        f.write(b"\x00" * 8192)
    m2 = manager(tmp_path)
    log = m2.get_log("orders-eu", 0)
    assert log is not None and log.log_end_offset == 4
    assert seg_file(tmp_path, 0).stat().st_size == 4 * SIZE
    assert len(m2.recovery_report) == 1


def test_corrupt_crc_in_active_segment_truncates_from_there(tmp_path: Path) -> None:
    m = manager(tmp_path)
    fill(m, 8)
    crash(m)
    with seg_file(tmp_path, 0).open("r+b") as f:
        f.seek(SIZE * 3 + 80)
        f.write(b"\x00\x01")
    m2 = manager(tmp_path)
    log = m2.get_log("orders-eu", 0)
    assert log is not None
    assert offsets(log) == [0, 1, 2] and log.log_end_offset == 3
    assert "CRC" in m2.recovery_report[0]


def test_deleted_index_is_rebuilt(tmp_path: Path) -> None:
    cfg = LogConfig(segment_bytes=SIZE * 10, index_interval_bytes=SIZE)
    m = manager(tmp_path, cfg)
    log = fill(m, 25, cfg)
    before = list(log.segments()[0].offset_index.keys)
    assert before
    m.shutdown()
    seg_file(tmp_path, 0, "index").unlink()
    seg_file(tmp_path, 10, "timeindex").unlink()
    m2 = manager(tmp_path, cfg)
    log2 = m2.get_log("orders-eu", 0)
    assert log2 is not None and log2.log_end_offset == 25
    assert log2.segments()[0].offset_index.keys == before
    assert seg_file(tmp_path, 0, "index").exists()
    assert sum("rebuilt" in line for line in m2.recovery_report) == 2
    for start in (0, 7, 13, 24):
        assert offsets(log2)[0] == 0
        assert next(h.base_offset for _, h in iter_batches(joined(log2, start))) == start


def test_corrupt_index_is_rebuilt(tmp_path: Path) -> None:
    cfg = LogConfig(segment_bytes=SIZE * 10, index_interval_bytes=SIZE)
    m = manager(tmp_path, cfg)
    fill(m, 25, cfg)
    m.shutdown()
    idx = seg_file(tmp_path, 0, "index")
    idx.write_bytes(idx.read_bytes()[::-1])
    m2 = manager(tmp_path, cfg)
    log = m2.get_log("orders-eu", 0)
    assert log is not None and offsets(log) == list(range(25))
    assert any("rebuilt" in line for line in m2.recovery_report)


def test_corrupt_middle_segment_after_recovery_point(tmp_path: Path) -> None:
    cfg = LogConfig(segment_bytes=SIZE * 4)
    m = LogManager([tmp_path], cfg, ManualClock())
    m.startup()
    fill(m, 14, cfg)  # segments 0, 4, 8, 12; recovery point 12 after the rolls
    crash(m)
    # the recovery point checkpoint on disk is still 0 (written at startup)
    with seg_file(tmp_path, 4).open("r+b") as f:
        f.seek(SIZE + 70)
        f.write(b"\xee")
    m2 = LogManager([tmp_path], cfg, ManualClock())
    m2.startup()
    log = m2.get_log("orders-eu", 0)
    assert log is not None
    assert offsets(log) == [0, 1, 2, 3, 4] and log.log_end_offset == 5
    assert [s.base_offset for s in log.segments()] == [0, 4]
    assert not seg_file(tmp_path, 8).exists() and not seg_file(tmp_path, 12).exists()
    assert sum("deleted segment" in line for line in m2.recovery_report) == 2


def test_damaged_segment_below_recovery_point_is_not_served(tmp_path: Path) -> None:
    cfg = LogConfig(segment_bytes=SIZE * 4)
    m = manager(tmp_path, cfg)
    fill(m, 10, cfg)
    m.checkpoint()  # recovery point 8
    crash(m)
    with seg_file(tmp_path, 0).open("r+b") as f:
        f.seek(SIZE * 2 + 8)
        f.write(b"\x00\x00\x00\x00")  # batch length of offset 2 zeroed
    m2 = manager(tmp_path, cfg)
    log = m2.get_log("orders-eu", 0)
    assert log is not None and log.log_end_offset == 10
    assert [h.base_offset for _, h in iter_batches(joined(log, 8))] == [8, 9]
    with pytest.raises(KafkaError) as e:
        log.read(3, 1 << 20)
    assert e.value.code == ErrorCode.KAFKA_STORAGE_ERROR


def test_delete_records_survives_crash(tmp_path: Path) -> None:
    cfg = LogConfig(segment_bytes=SIZE * 4)
    m = manager(tmp_path, cfg)
    log = fill(m, 10, cfg)
    log.delete_records_before(6)
    crash(m)
    assert "orders-eu 0 6" in (tmp_path / "log-start-offset-checkpoint").read_text()
    m2 = manager(tmp_path, cfg)
    log2 = m2.get_log("orders-eu", 0)
    assert log2 is not None and log2.log_start_offset == 6
    assert [s.base_offset for s in log2.segments()] == [4, 8]


def test_flush_policies(tmp_path: Path) -> None:
    clock = ManualClock()
    m = manager(tmp_path, clock=clock)
    by_count = fill(m, 5, LogConfig(flush_messages=2), topic="a")
    assert by_count.recovery_point == 4  # flushed at 2 and 4 messages
    by_time = fill(m, 3, LogConfig(flush_ms=1_000), topic="b")
    m.flush_dirty()
    assert by_time.recovery_point == 0
    clock.advance(1_000)
    m.flush_dirty()
    assert by_time.recovery_point == 3
    m.checkpoint()
    assert "b 0 3" in (tmp_path / "recovery-point-offset-checkpoint").read_text()


def test_dirs_delete_and_names(tmp_path: Path) -> None:
    m = manager(tmp_path)
    fill(m, 2, topic="with-dashes-in-name")
    fill(m, 2, topic="gone")
    m.delete_log("gone", 0)
    assert not (tmp_path / "gone-0").exists()
    assert m.get_log("gone", 0) is None
    m.shutdown()
    (tmp_path / "lost+found").mkdir()
    (tmp_path / "x-1.0123abcd-delete").mkdir()
    (tmp_path / "x-1.0123abcd-delete" / "00000000000000000000.log").write_bytes(b"junk")
    m2 = manager(tmp_path)
    assert [(lg.topic, lg.partition) for lg in m2.all_logs()] == [("with-dashes-in-name", 0)]
    assert not (tmp_path / "x-1.0123abcd-delete").exists()
    assert (tmp_path / "lost+found").exists()
    log = m2.get_log("with-dashes-in-name", 0)
    assert log is not None and offsets(log) == [0, 1]


def test_retention_via_manager_and_leftovers(tmp_path: Path) -> None:
    clock = ManualClock(start_ms=50_000)
    cfg = LogConfig(segment_bytes=SIZE * 2, retention_ms=10_000)
    m = manager(tmp_path, cfg, clock)
    fill(m, 6, cfg)  # record timestamps ~1_000
    m.run_retention()
    log = m.get_log("orders-eu", 0)
    assert log is not None and [s.base_offset for s in log.segments()] == [4]
    m.shutdown()
    (tmp_path / "orders-eu-0" / "00000000000000000002.log.deleted").write_bytes(b"x")
    (tmp_path / "orders-eu-0" / "00000000000000000002.index").write_bytes(b"")
    manager(tmp_path, cfg, clock)
    assert sorted(os.listdir(tmp_path / "orders-eu-0")) == [
        "00000000000000000004.index",
        "00000000000000000004.log",
        "00000000000000000004.timeindex",
        "leader-epoch-checkpoint",
    ]
