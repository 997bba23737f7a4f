"""Log: appends, reads, roll, indexes, truncation, DeleteRecords, ListOffsets, retention."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from storage_helpers import batch, joined, mv, open_log

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import iter_batches, read_header, validate_batch
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.record import iter_records


def headers(data: bytes) -> list[tuple[int, int]]:
    return [(h.base_offset, h.last_offset) for _, h in iter_batches(data)]


def test_append_assigns_offsets_in_place(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    info = log.append_as_leader(mv(batch(3) + batch(2)), now_ms=5, leader_epoch=4)
    assert (info.first_offset, info.last_offset, info.record_count) == (0, 4, 5)
    assert info.log_append_time == -1
    info = log.append_as_leader(mv(batch(1)), now_ms=6, leader_epoch=4)
    assert (info.first_offset, info.last_offset) == (5, 5)
    assert (log.log_end_offset, log.high_watermark, log.log_start_offset) == (6, 6, 0)
    data = joined(log)
    assert headers(data) == [(0, 2), (3, 4), (5, 5)]
    for pos, _h in iter_batches(data):
        assert validate_batch(data, pos, len(data) - pos).partition_leader_epoch == 4
    assert (tmp_path / "t-0" / "00000000000000000000.log").stat().st_size == len(data)


def test_readonly_input_is_accepted(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    log.append_as_leader(memoryview(batch(2)), now_ms=0)
    assert headers(joined(log)) == [(0, 1)]


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b: b.__setitem__(-1, b[-1] ^ 1), ErrorCode.CORRUPT_MESSAGE),
        (lambda b: b.__setitem__(16, 1), ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT),
        (lambda b: b.extend(b"\x00" * 20), ErrorCode.CORRUPT_MESSAGE),
    ],
)
def test_invalid_batch_writes_nothing(tmp_path: Path, mutate: object, code: ErrorCode) -> None:
    log = open_log(tmp_path / "t-0")
    log.append_as_leader(mv(batch(1)), now_ms=0)
    good = batch(2)
    bad = bytearray(batch(2))
    mutate(bad)  # type: ignore[operator]
    with pytest.raises(KafkaError) as e:
        log.append_as_leader(mv(good + bytes(bad)), now_ms=0)
    assert e.value.code == code
    assert log.log_end_offset == 1
    assert log.size_bytes() == len(batch(1))


def test_message_too_large(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", LogConfig(max_message_bytes=500))
    with pytest.raises(KafkaError) as e:
        log.append_as_leader(mv(batch(1, value_size=600)), now_ms=0)
    assert e.value.code == ErrorCode.MESSAGE_TOO_LARGE
    assert log.log_end_offset == 0


def test_log_append_time(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", LogConfig(message_timestamp_type="LogAppendTime"))
    info = log.append_as_leader(mv(batch(2, ts=10)), now_ms=77_000)
    assert info.log_append_time == 77_000
    data = joined(log)
    h = validate_batch(data, 0, len(data))
    assert h.log_append_time and h.max_timestamp == 77_000
    assert [r.timestamp for r in iter_records(data)] == [77_000, 77_000]


@pytest.mark.parametrize(
    ("props", "ts", "ok"),
    [
        ({"message.timestamp.before.max.ms": "1000"}, 98_999, False),
        ({"message.timestamp.before.max.ms": "1000"}, 99_000, True),
        ({"message.timestamp.after.max.ms": "1000"}, 101_000, True),
        ({"message.timestamp.after.max.ms": "1000"}, 101_001, False),
        ({"message.timestamp.after.max.ms": "1000"}, 5, True),
        # the deprecated single bound applies to both sides while the new ones are unset
        ({"message.timestamp.difference.max.ms": "1000"}, 98_000, False),
        ({"message.timestamp.difference.max.ms": "1000"}, 102_000, False),
        ({"message.timestamp.difference.max.ms": "1000"}, 100_500, True),
        # LogAppendTime topics take any producer timestamp
        (
            {"message.timestamp.type": "LogAppendTime", "message.timestamp.before.max.ms": "1"},
            5,
            True,
        ),
    ],
)
def test_create_time_bounds(tmp_path: Path, props: dict[str, str], ts: int, ok: bool) -> None:
    log = open_log(tmp_path / "t-0", LogConfig.from_props(props))
    # the out-of-range timestamp is the last record's, so one bad record fails the batch
    raw = build_batch([SimpleRecord(b"k", b"v", (), 100_000), SimpleRecord(b"k", b"v", (), ts)])
    if ok:
        assert log.append_as_leader(mv(raw), now_ms=100_000).last_offset == 1
        return
    with pytest.raises(KafkaError) as e:
        log.append_as_leader(mv(raw), now_ms=100_000)
    assert e.value.code == ErrorCode.INVALID_TIMESTAMP
    assert log.log_end_offset == 0


def test_read_semantics(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    for _ in range(5):
        log.append_as_leader(mv(batch(2)), now_ms=0)
    size = len(batch(2))
    # a start offset inside a batch returns that whole batch
    assert headers(joined(log, 3)) == [(2, 3), (4, 5), (6, 7), (8, 9)]
    fd = log.read(0, size * 2 + 5)
    assert fd.size == size * 2 and len(fd.buffers) == 2
    assert (fd.high_watermark, fd.log_end_offset, fd.log_start_offset) == (10, 10, 0)
    # min_one_message: the first batch even if larger than max_bytes
    assert log.read(0, 10).size == size
    assert log.read(0, 10, min_one_message=False).size == 0
    # max_offset is exclusive, at batch granularity
    assert headers(b"".join(bytes(b) for b in log.read(0, 1 << 20, max_offset=6).buffers)) == [
        (0, 1),
        (2, 3),
        (4, 5),
    ]
    assert log.read(10, 100).buffers == []
    for bad in (-1, 11):
        with pytest.raises(KafkaError) as e:
            log.read(bad, 100)
        assert e.value.code == ErrorCode.OFFSET_OUT_OF_RANGE


def test_roll_by_size_names_and_index(tmp_path: Path) -> None:
    size = len(batch(1))
    cfg = LogConfig(segment_bytes=size * 10, index_interval_bytes=size * 2)
    log = open_log(tmp_path / "t-0", cfg)
    for _ in range(25):
        log.append_as_leader(mv(batch(1)), now_ms=0)
    assert [s.base_offset for s in log.segments()] == [0, 10, 20]
    names = sorted(os.listdir(tmp_path / "t-0"))
    assert "00000000000000000010.log" in names and "00000000000000000010.timeindex" in names
    first = log.segments()[0]
    # an entry once more than index.interval.bytes went unindexed: batches 3, 6, 9
    assert first.offset_index.keys == [3, 6, 9]
    assert first.offset_index.values == [3 * size, 6 * size, 9 * size]
    # rolled segment indexes are trimmed; the active one is preallocated
    assert (tmp_path / "t-0" / "00000000000000000000.index").stat().st_size == 3 * 8
    active_index = tmp_path / "t-0" / "00000000000000000020.index"
    assert active_index.stat().st_size == cfg.segment_index_bytes
    for start in range(25):
        assert headers(joined(log, start))[0] == (start, start)
    log.close()
    assert active_index.stat().st_size == 8 * len(log.segments()[-1].offset_index.keys)


def test_roll_by_segment_ms_and_explicit(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", LogConfig(segment_ms=1_000))
    log.append_as_leader(mv(batch(1, ts=10_000)), now_ms=0)
    log.append_as_leader(mv(batch(1, ts=10_500)), now_ms=0)
    assert len(log.segments()) == 1
    log.append_as_leader(mv(batch(1, ts=11_001)), now_ms=0)
    assert [s.base_offset for s in log.segments()] == [0, 2]
    log.roll(now_ms=0)
    log.roll(now_ms=0)  # empty active segment: no-op
    assert [s.base_offset for s in log.segments()] == [0, 2, 3]
    assert log.recovery_point == 3


@pytest.mark.parametrize("seed", range(5))
def test_segment_jitter_rolls_early_by_at_most_the_jitter(tmp_path: Path, seed: int) -> None:
    """segment.jitter.ms=4000 with segment.ms=10000: the segment rolls after a wait in
    (6000, 10000] (without jitter no append up to a wait of exactly 10000 would roll it)."""
    import random

    random.seed(seed)
    log = open_log(tmp_path / "t-0", LogConfig(segment_ms=10_000, segment_jitter_ms=4_000))
    log.append_as_leader(mv(batch(1, ts=100_000)), now_ms=100_000)
    rolled_at = None
    for wait in range(5_000, 10_001, 100):
        log.append_as_leader(mv(batch(1, ts=100_000 + wait)), now_ms=100_000 + wait)
        if len(log.segments()) > 1:
            rolled_at = wait
            break
    assert rolled_at is not None and 6_000 < rolled_at <= 10_000


def test_no_jitter_rolls_exactly_after_segment_ms(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", LogConfig(segment_ms=10_000))
    log.append_as_leader(mv(batch(1, ts=100_000)), now_ms=100_000)
    log.append_as_leader(mv(batch(1, ts=110_000)), now_ms=110_000)
    assert len(log.segments()) == 1
    log.append_as_leader(mv(batch(1, ts=110_001)), now_ms=110_001)
    assert len(log.segments()) == 2


def test_roll_when_index_full(tmp_path: Path) -> None:
    cfg = LogConfig(index_interval_bytes=0, segment_index_bytes=8 * 4)
    log = open_log(tmp_path / "t-0", cfg)
    for _ in range(12):
        log.append_as_leader(mv(batch(1, ts=1_000)), now_ms=0)
    assert len(log.segments()) > 1
    assert all(s.offset_index.entries <= 4 for s in log.segments())
    assert headers(joined(log))[-1] == (11, 11)


def test_offset_for_timestamp_record_precision(tmp_path: Path) -> None:
    size = len(batch(4))
    log = open_log(tmp_path / "t-0", LogConfig(segment_bytes=size * 3, index_interval_bytes=1))
    for i in range(10):  # batch i has records with timestamps 100*i + 0..3
        log.append_as_leader(mv(batch(4, ts=100 * i)), now_ms=0)
    assert len(log.segments()) > 2
    assert log.offset_for_timestamp(0) == (0, 0)
    assert log.offset_for_timestamp(302) == (14, 302)
    assert log.offset_for_timestamp(304) == (16, 400)
    assert log.offset_for_timestamp(903) == (39, 903)
    assert log.offset_for_timestamp(904) is None
    assert log.max_timestamp_offset() == (39, 903)
    log.delete_records_before(21)
    assert log.offset_for_timestamp(0) == (21, 501)


def test_max_timestamp_offset_is_record_level(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    assert log.max_timestamp_offset() is None
    recs = [
        SimpleRecord(None, b"a", (), 5),
        SimpleRecord(None, b"b", (), 50),
        SimpleRecord(None, b"c", (), 7),
    ]
    log.append_as_leader(mv(build_batch(recs)), now_ms=0)
    log.append_as_leader(mv(batch(1, ts=20)), now_ms=0)
    assert log.max_timestamp_offset() == (1, 50)


def test_delete_records(tmp_path: Path) -> None:
    size = len(batch(2))
    changed: list[int] = []
    log = open_log(
        tmp_path / "t-0",
        LogConfig(segment_bytes=size * 2),
        on_log_start_offset_change=lambda lg: changed.append(lg.log_start_offset),
    )
    for _ in range(6):
        log.append_as_leader(mv(batch(2)), now_ms=0)
    assert [s.base_offset for s in log.segments()] == [0, 4, 8]
    assert log.delete_records_before(5) == 5
    assert changed == [5]
    assert [s.base_offset for s in log.segments()] == [4, 8]
    assert not (tmp_path / "t-0" / "00000000000000000000.log").exists()
    assert headers(joined(log, 5))[0] == (4, 5)  # the batch holding 5 is served whole
    with pytest.raises(KafkaError) as e:
        log.read(4, 100)
    assert e.value.code == ErrorCode.OFFSET_OUT_OF_RANGE
    assert log.delete_records_before(3) == 5  # never moves backwards
    with pytest.raises(KafkaError) as e:
        log.delete_records_before(13)
    assert e.value.code == ErrorCode.OFFSET_OUT_OF_RANGE
    assert log.delete_records_before(12) == 12
    assert [s.base_offset for s in log.segments()] == [8]
    assert log.read(12, 100).buffers == []


def test_truncate_to_and_fully(tmp_path: Path) -> None:
    size = len(batch(2))
    log = open_log(tmp_path / "t-0", LogConfig(segment_bytes=size * 2))
    for e in range(6):
        log.append_as_leader(mv(batch(2)), now_ms=0, leader_epoch=e)
    log.truncate_to(6)
    assert log.log_end_offset == 6 and log.high_watermark == 6
    assert [s.base_offset for s in log.segments()] == [0, 4]
    assert headers(joined(log)) == [(0, 1), (2, 3), (4, 5)]
    assert log.epochs.entries == [(0, 0), (1, 2), (2, 4)]
    info = log.append_as_leader(mv(batch(1)), now_ms=0, leader_epoch=9)
    assert info.first_offset == 6
    log.truncate_fully_and_start_at(100)
    assert (log.log_start_offset, log.log_end_offset) == (100, 100)
    assert [s.base_offset for s in log.segments()] == [100]
    assert log.append_as_leader(mv(batch(1)), now_ms=0).first_offset == 100


def test_follower_append_and_epochs(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    b1 = batch(2, base_offset=0, partition_leader_epoch=1)
    b2 = batch(3, base_offset=2, partition_leader_epoch=3)
    info = log.append_as_follower(mv(b1 + b2))
    assert (info.first_offset, info.last_offset, log.log_end_offset) == (0, 4, 5)
    assert log.epochs.entries == [(1, 0), (3, 2)]
    assert log.end_offset_for_epoch(2) == (1, 2)
    assert log.end_offset_for_epoch(3) == (3, 5)
    assert joined(log) == b1 + b2
    with pytest.raises(KafkaError):
        log.append_as_follower(mv(batch(1, base_offset=3)))


def test_deleted_segment_files_wait_for_file_delete_delay(tmp_path: Path) -> None:
    """file.delete.delay.ms: a segment removed by retention leaves ``.deleted`` files that go
    only once the delay is over; close removes what is left."""
    clock = ManualClock(0)
    size = len(batch(2))
    config = LogConfig(segment_bytes=size, file_delete_delay_ms=60_000)
    log = open_log(tmp_path / "t-0", config, clock)
    for _ in range(3):
        log.append_as_leader(mv(batch(2)), now_ms=0)
    assert log.delete_records_before(2) == 2
    names = sorted(p.name for p in (tmp_path / "t-0").iterdir())
    first = "00000000000000000000"
    assert f"{first}.log.deleted" in names and f"{first}.index.deleted" in names
    assert f"{first}.log" not in names
    assert log.delete_retired_files(clock.now_ms() + 59_999) == 0
    assert (tmp_path / "t-0" / f"{first}.log.deleted").exists()
    assert log.delete_retired_files(clock.now_ms() + 60_000) == 1
    assert not any(p.name.endswith(".deleted") for p in (tmp_path / "t-0").iterdir())
    log.truncate_fully_and_start_at(10)
    assert any(p.name.endswith(".deleted") for p in (tmp_path / "t-0").iterdir())
    log.close()
    assert not any(p.name.endswith(".deleted") for p in (tmp_path / "t-0").iterdir())


def test_retention_by_time(tmp_path: Path) -> None:
    size = len(batch(1))
    log = open_log(tmp_path / "t-0", LogConfig(segment_bytes=size * 2, retention_ms=1_000))
    for i in range(7):
        log.append_as_leader(mv(batch(1, ts=10_000 + i * 100)), now_ms=0)
    assert [s.base_offset for s in log.segments()] == [0, 2, 4, 6]
    assert log.apply_retention(now_ms=11_000) == 0
    assert log.apply_retention(now_ms=11_350) == 2  # max ts 10_100 and 10_300 expired
    assert [s.base_offset for s in log.segments()] == [4, 6]
    assert log.log_start_offset == 4
    assert log.apply_retention(now_ms=99_999) == 1  # never the active segment
    assert [s.base_offset for s in log.segments()] == [6]


def test_retention_by_size_and_policy(tmp_path: Path) -> None:
    size = len(batch(1))
    cfg = LogConfig(segment_bytes=size * 2, retention_bytes=size * 3)
    log = open_log(tmp_path / "t-0", cfg)
    for _ in range(7):
        log.append_as_leader(mv(batch(1)), now_ms=0)
    compact = open_log(
        tmp_path / "c-0",
        LogConfig(segment_bytes=size * 2, retention_bytes=0, cleanup_policy=("compact",)),
    )
    for _ in range(7):
        compact.append_as_leader(mv(batch(1)), now_ms=0)
    assert compact.apply_retention(now_ms=2**40) == 0
    assert log.apply_retention(now_ms=0) == 2
    assert log.size_bytes() == size * 3
    assert log.log_start_offset == 4


def test_clock_is_used_for_follower_roll(tmp_path: Path) -> None:
    clock = ManualClock(start_ms=0)
    log = open_log(tmp_path / "t-0", LogConfig(segment_ms=100), clock)
    log.append_as_follower(mv(batch(1, ts=-1, base_offset=0)))
    clock.advance(500)
    log.append_as_follower(mv(batch(1, ts=-1, base_offset=1)))
    assert [s.base_offset for s in log.segments()] == [0, 1]
    assert read_header(joined(log, 1)).base_offset == 1


def test_compacted_topic_requires_keys(tmp_path: Path) -> None:
    log = open_log(tmp_path / "c-0", LogConfig(cleanup_policy=("compact",)))
    keyless = build_batch([SimpleRecord(b"k", b"v"), SimpleRecord(None, b"v")], codec=2)
    with pytest.raises(KafkaError) as e:
        log.append_as_leader(mv(keyless), now_ms=0)
    assert e.value.code == ErrorCode.INVALID_RECORD
    assert log.append_as_leader(mv(batch(2)), now_ms=0).last_offset == 1


def test_inactive_segments_hold_one_fd(tmp_path: Path) -> None:
    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = open_fds()
    log = open_log(tmp_path / "t-0", LogConfig(segment_bytes=len(batch(1))))
    for _ in range(30):
        log.append_as_leader(mv(batch(1)), now_ms=0)
    assert len(log.segments()) == 30
    assert open_fds() - before <= 30 + 2
    assert headers(joined(log, 0))[-1] == (29, 29)
    log.truncate_to(10)  # segment 9 becomes active again: its index files reopen
    assert log.append_as_leader(mv(batch(1)), now_ms=0).first_offset == 10
    log.close()
    assert open_fds() == before
