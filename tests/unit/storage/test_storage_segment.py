"""LogSegment and its indexes: append, lookup, read ranges, trim, zero tails, truncation."""

from __future__ import annotations

from pathlib import Path

import pytest
from storage_helpers import batch

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import read_header
from odradek.storage.index import CorruptIndexError, OffsetIndex, TimeIndex
from odradek.storage.segment import LogSegment

SIZE = len(batch(1))


def segment(tmp_path: Path, base: int = 100, interval: int = 0) -> LogSegment:
    return LogSegment(tmp_path, base, interval, 8 * 1024, created_ms=0)


def fill(seg: LogSegment, n: int, ts0: int = 1_000) -> None:
    for i in range(n):
        off = seg.next_offset
        raw = bytearray(batch(1, ts=ts0 + 10 * i, base_offset=off))
        seg.append(memoryview(raw), off, ts0 + 10 * i, off)


def test_append_lookup_and_translate(tmp_path: Path) -> None:
    seg = segment(tmp_path, interval=SIZE * 2)
    fill(seg, 10)
    assert seg.size == 10 * SIZE and seg.next_offset == 110
    assert seg.offset_index.keys == [103, 106, 109]
    assert seg.offset_index.lookup(105) == (103, 3 * SIZE)
    assert seg.offset_index.lookup(99) == (100, 0)
    for off in range(100, 110):
        found = seg.translate_offset(off)
        assert found is not None and found[0] == (off - 100) * SIZE
        assert found[1].base_offset == off
    assert seg.translate_offset(110) is None
    assert (seg.max_timestamp, seg.offset_of_max_timestamp) == (1_090, 109)
    assert seg.time_index.lookup_before(1_031) == 103
    assert seg.time_index.lookup_before(1_000) == 100


def test_read_ranges(tmp_path: Path) -> None:
    seg = segment(tmp_path)
    fill(seg, 5)
    bufs, n, at_end = seg.read(SIZE, SIZE * 2 + 1, None, True)
    assert n == 2 * SIZE and not at_end
    assert [read_header(b).base_offset for b in bufs] == [101, 102]
    bufs, n, at_end = seg.read(SIZE * 3, 1 << 20, None, True)
    assert n == 2 * SIZE and at_end
    bufs, n, _ = seg.read(0, 1, None, True)
    assert n == SIZE and read_header(bufs[0]).base_offset == 100
    assert seg.read(0, 1, None, False)[1] == 0
    assert seg.read(0, 1 << 20, 102, True)[1] == 2 * SIZE


def test_trim_on_roll_and_zero_tail_on_load(tmp_path: Path) -> None:
    seg = segment(tmp_path, interval=0)
    seg.offset_index.resize(8 * 1024)
    fill(seg, 4)
    assert seg.offset_index.path.stat().st_size == 8 * 1024
    again = OffsetIndex(seg.offset_index.path, 100, 8 * 1024)
    again.load()  # the preallocated zero tail is not entries
    assert again.keys == seg.offset_index.keys == [101, 102, 103]
    seg.on_become_inactive()
    assert seg.offset_index.path.stat().st_size == 3 * 8
    assert seg.time_index.keys[-1] == seg.max_timestamp == 1_030
    assert seg.time_index.path.stat().st_size == 3 * 12
    seg.close()


def test_corrupt_index_is_detected(tmp_path: Path) -> None:
    idx = OffsetIndex(tmp_path / "x.index", 0, 1024)
    idx.append(10, 500)
    idx.append(20, 900)
    idx.close()
    raw = (tmp_path / "x.index").read_bytes()
    (tmp_path / "x.index").write_bytes(raw[8:] + raw[:8])
    with pytest.raises(CorruptIndexError):
        OffsetIndex(tmp_path / "x.index", 0, 1024).load()
    t = TimeIndex(tmp_path / "x.timeindex", 0, 1024)
    t.maybe_append(5, 1)
    t.maybe_append(5, 2)  # not growing: ignored
    t.maybe_append(4, 3)
    assert t.keys == [5] and t.values == [1]


def test_truncate_rebuilds_state(tmp_path: Path) -> None:
    seg = segment(tmp_path, interval=SIZE)
    fill(seg, 8)
    removed = seg.truncate_to(105)
    assert removed == 3 * SIZE and seg.size == 5 * SIZE
    assert seg.next_offset == 105
    assert seg.max_timestamp == 1_040 and seg.offset_of_max_timestamp == 104
    assert all(k < 105 for k in seg.offset_index.keys)
    fill(seg, 1, ts0=2_000)
    assert seg.next_offset == 106 and seg.max_timestamp == 2_000


def test_damaged_header_raises_storage_error(tmp_path: Path) -> None:
    seg = segment(tmp_path)
    fill(seg, 3)
    with seg.log_path.open("r+b") as f:
        f.seek(SIZE + 16)
        f.write(b"\x07")  # magic of the second batch
    with pytest.raises(KafkaError) as e:
        list(seg.scan(0))
    assert e.value.code == ErrorCode.KAFKA_STORAGE_ERROR
    with pytest.raises(KafkaError):
        seg.read(0, 1 << 20, None, True)


def test_write_error_is_storage_error_and_leaves_segment_intact(tmp_path: Path) -> None:
    import os

    seg = segment(tmp_path)
    fill(seg, 2)
    good_fd = seg._fd
    seg._fd = os.open(seg.log_path, os.O_RDONLY)  # every pwrite now fails
    raw = bytearray(batch(1, base_offset=102))
    with pytest.raises(KafkaError) as e:
        seg.append(memoryview(raw), 102, 5_000, 102)
    assert e.value.code == ErrorCode.KAFKA_STORAGE_ERROR
    os.close(seg._fd)
    seg._fd = good_fd
    assert (seg.size, seg.next_offset, seg.max_timestamp) == (2 * SIZE, 102, 1_010)
    assert seg.log_path.stat().st_size == 2 * SIZE
    fill(seg, 1)
    assert seg.next_offset == 103
