"""One clean of one compacted log (Kafka's ``Cleaner``): file work only, run on a worker thread.

Input is a ``CleanPlan`` taken on the event loop: the log's cleanable segments (every
inactive segment wholly below the first uncleanable offset, see ``cleaner_selection``), the
first dirty offset, the aborted transactions and the last batch of each live producer.

1. **Offset map** of the dirty section: key → offset of its latest record, skipping control
   batches and aborted transactional batches. When the map fills up the clean stops there; the
   offset after the last mapped record becomes the next first dirty offset.
2. **Groups**: consecutive segments below that point are grouped while their total size fits
   ``segment.bytes`` and their index entries fit ``segment.index.bytes`` (small segments merge).
3. **Copy**: each group becomes one segment ``<first base>.log.cleaned`` (+ indexes and a
   ``.txnindex`` with the group's aborted transactions). A record is kept when it has a key and
   no later record of that key is in the map; a tombstone is kept until its batch's delete
   horizon (KIP-534, set by the first clean that keeps it: ``now + delete.retention.ms``) has
   passed. Aborted transactional batches are dropped. A transaction marker is kept while its
   transaction still has records, else until its own delete horizon. When every record of
   the last batch of a live producer goes, an empty (header-only) batch stays, as in Kafka, so
   producer state (sequence numbers, epoch) survives a reload. Kept
   batches are copied verbatim when untouched, else re-built (``records.rebatch``) with their
   offsets, timestamps, headers and codec.

Swapping the cleaned segments in is done later, on the loop (``swap``, ``log_cleaner``).
I/O is bounded by a shared ``Throttler`` (``log.cleaner.io.max.bytes.per.second``).
"""

from __future__ import annotations

import bisect
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from odradek.common.config import LogConfig
from odradek.records.batch import HEADER_SIZE, BatchHeader, read_header
from odradek.records.rebatch import (
    empty_batch,
    has_delete_horizon,
    rebuild_batch,
    scan_keys,
    scan_raw_records,
)
from odradek.storage.offset_map import OffsetMap
from odradek.storage.segment import LogSegment
from odradek.storage.swap import CLEANED, FaultHook, discard_cleaned
from odradek.storage.txn_index import ENTRY, AbortedTxn, index_path

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 20
INDEX_ENTRY, TIME_ENTRY = 8, 12


class CleanAborted(Exception):
    """The clean was stopped (shutdown) or its input changed under it."""


class StopFlag(Protocol):
    """``threading.Event`` or a ``multiprocessing`` Event."""

    def is_set(self) -> bool: ...


class Throttler:
    """Keeps the bytes passed to ``maybe_throttle`` under ``rate`` per second (all threads)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._bytes = 0
        self.throttled_s = 0.0
        self.total_bytes = 0

    def maybe_throttle(self, n: int) -> None:
        self.total_bytes += n
        if self.rate <= 0 or self.rate >= 1e300:
            return
        with self._lock:
            self._bytes += n
            elapsed = time.monotonic() - self._start
            wait = self._bytes / self.rate - elapsed
            if elapsed > 1.0 and wait <= 0:
                self._start, self._bytes = time.monotonic(), 0
        if wait > 0:
            self.throttled_s += wait
            time.sleep(wait)


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """What a clean needs of one input segment (plain values: a plan may cross processes)."""

    base_offset: int
    log_path: Path
    size: int
    index_entries: int
    time_entries: int

    @staticmethod
    def of(seg: LogSegment) -> SegmentInfo:
        return SegmentInfo(
            seg.base_offset,
            seg.log_path,
            seg.size,
            seg.offset_index.entries,
            seg.time_index.entries,
        )


@dataclass(frozen=True, slots=True)
class CleanPlan:
    topic: str
    partition: int
    dir: Path
    config: LogConfig
    segments: tuple[SegmentInfo, ...]
    end_offset: int  # first uncleanable offset: the next segment's base
    first_dirty: int
    now_ms: int
    aborted: tuple[AbortedTxn, ...]
    producer_last_offsets: dict[int, int]


@dataclass(slots=True)
class CleanStats:
    bytes_read: int = 0
    bytes_written: int = 0
    records_read: int = 0
    records_kept: int = 0
    map_entries: int = 0
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class CleanedGroup:
    bases: tuple[int, ...]  # base offsets of the input segments it replaces
    base: int


@dataclass(slots=True)
class CleanResult:
    plan: CleanPlan
    groups: list[CleanedGroup]
    next_dirty: int
    stats: CleanStats = field(default_factory=CleanStats)


class _Aborted:
    """Aborted transactions by producer: is a data batch part of one?"""

    def __init__(self, txns: tuple[AbortedTxn, ...]) -> None:
        self._by_pid: dict[int, list[AbortedTxn]] = {}
        for t in sorted(txns, key=lambda t: t.first_offset):
            self._by_pid.setdefault(t.producer_id, []).append(t)
        self._firsts = {pid: [t.first_offset for t in ts] for pid, ts in self._by_pid.items()}

    def contains(self, h: BatchHeader) -> bool:
        if not h.is_transactional or h.is_control or h.producer_id not in self._by_pid:
            return False
        i = bisect.bisect_right(self._firsts[h.producer_id], h.base_offset) - 1
        return i >= 0 and self._by_pid[h.producer_id][i].last_offset > h.base_offset


def read_batches(
    path: Path, size: int, throttler: Throttler
) -> Iterator[tuple[BatchHeader, bytes]]:
    """Whole batches of a segment file through a private fd (safe against a concurrent delete)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        pos = 0
        while pos + HEADER_SIZE <= size:
            chunk = os.pread(fd, min(READ_CHUNK, size - pos), pos)
            throttler.maybe_throttle(len(chunk))
            off = 0
            while off + HEADER_SIZE <= len(chunk):
                h = read_header(chunk, off)
                if h.size < HEADER_SIZE:
                    raise CleanAborted(f"{path}: invalid batch at {pos + off}")
                if off + h.size > len(chunk):
                    break
                yield h, chunk[off : off + h.size]
                off += h.size
            if off == 0:  # one batch larger than the chunk
                h = read_header(chunk, 0)
                whole = os.pread(fd, h.size, pos)
                if len(whole) < h.size:
                    raise CleanAborted(f"{path}: truncated batch at {pos}")
                yield h, whole
                off = h.size
            pos += off
    finally:
        os.close(fd)


class Cleaner:
    """Cleans one log at a time (see the module docstring)."""

    def __init__(
        self,
        dedupe_buffer_bytes: int,
        throttler: Throttler,
        fault: FaultHook | None = None,
        stop: StopFlag | None = None,
    ) -> None:
        self.map = OffsetMap(dedupe_buffer_bytes)
        self.throttler = throttler
        self.fault = fault
        self.stop = stop or threading.Event()

    def clean(self, plan: CleanPlan) -> CleanResult:
        started = time.monotonic()
        stats = CleanStats()
        aborted = _Aborted(plan.aborted)
        self.map.clear()
        next_dirty = self._build_map(plan, aborted, stats)
        groups = group_segments(plan, next_dirty)
        state = _CopyState(plan, aborted, self.map)
        done: list[CleanedGroup] = []
        try:
            for group in groups:
                done.append(self._clean_group(plan, group, state, stats))
        except BaseException:
            for group in groups:
                discard_cleaned(plan.dir, group[0].base_offset)
            raise
        if self.fault:
            self.fault("cleaned")
        stats.map_entries = self.map.size
        stats.elapsed_s = time.monotonic() - started
        return CleanResult(plan, done, next_dirty, stats)

    def _build_map(self, plan: CleanPlan, aborted: _Aborted, stats: CleanStats) -> int:
        """Map the dirty section; returns the offset the map covers up to."""
        for seg in plan.segments:
            if seg_next(plan, seg) <= plan.first_dirty:
                continue
            for h, data in read_batches(seg.log_path, seg.size, self.throttler):
                self._check_stop()
                stats.bytes_read += h.size
                if h.last_offset < plan.first_dirty or h.is_control or aborted.contains(h):
                    continue
                _h, keys = scan_keys(data)
                for delta, key in keys:
                    off = h.base_offset + delta
                    if key is None or off < plan.first_dirty:
                        continue
                    if self.map.is_full() and self.map.get(key) < 0:
                        return self.map.latest_offset + 1
                    self.map.put(key, off)
        return plan.end_offset

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise CleanAborted("cleaner stopping")

    def _clean_group(
        self,
        plan: CleanPlan,
        group: list[SegmentInfo],
        state: _CopyState,
        stats: CleanStats,
    ) -> CleanedGroup:
        base = group[0].base_offset
        discard_cleaned(plan.dir, base)
        cfg = plan.config
        out = LogSegment(
            plan.dir, base, cfg.index_interval_bytes, cfg.segment_index_bytes, plan.now_ms, CLEANED
        )
        try:
            for seg in group:
                for h, data in read_batches(seg.log_path, seg.size, self.throttler):
                    self._check_stop()
                    stats.bytes_read += h.size
                    kept = state.filter(h, data, stats)
                    if kept is None:
                        continue
                    kh = read_header(kept)
                    out.append(memoryview(kept), kh.last_offset, kh.max_timestamp, kh.last_offset)
                    stats.bytes_written += len(kept)
                    self.throttler.maybe_throttle(len(kept))
                    if self.fault:
                        self.fault("writing")
            out.on_become_inactive()
        finally:
            out.close()
        end = seg_next(plan, group[-1])
        _write_txn_index(plan, base, end)
        return CleanedGroup(tuple(s.base_offset for s in group), base)


def seg_next(plan: CleanPlan, seg: SegmentInfo) -> int:
    """The base offset of the segment after ``seg`` (or the plan's end)."""
    i = plan.segments.index(seg)
    return plan.segments[i + 1].base_offset if i + 1 < len(plan.segments) else plan.end_offset


def group_segments(plan: CleanPlan, upto: int) -> list[list[SegmentInfo]]:
    """Kafka's ``groupSegmentsBySize`` over the segments starting below ``upto``."""
    cfg = plan.config
    groups: list[list[SegmentInfo]] = []
    cur: list[SegmentInfo] = []
    size = idx = tidx = 0
    for seg in plan.segments:
        if seg.base_offset >= upto:
            break
        n_idx, n_tidx = seg.index_entries, seg.time_entries + 1
        fits = (
            cur
            and size + seg.size <= cfg.segment_bytes
            and (idx + n_idx) * INDEX_ENTRY <= cfg.segment_index_bytes
            and (tidx + n_tidx) * TIME_ENTRY <= cfg.segment_index_bytes
            and seg_next(plan, seg) - 1 - cur[0].base_offset <= 2**31 - 1
        )
        if cur and not fits:
            groups.append(cur)
            cur, size, idx, tidx = [], 0, 0, 0
        cur.append(seg)
        size, idx, tidx = size + seg.size, idx + n_idx, tidx + n_tidx
    if cur:
        groups.append(cur)
    return groups


def _write_txn_index(plan: CleanPlan, base: int, end: int) -> None:
    entries = [t for t in plan.aborted if base <= t.last_offset < end]
    if not entries:
        return
    path = index_path(plan.dir, base).with_name(index_path(plan.dir, base).name + CLEANED)
    with open(path, "wb") as f:
        for t in entries:
            f.write(
                ENTRY.pack(0, t.producer_id, t.first_offset, t.last_offset, t.last_stable_offset)
            )
        f.flush()
        os.fsync(f.fileno())


class _CopyState:
    """Per-clean state of the copy phase: which transactions still hold records."""

    def __init__(self, plan: CleanPlan, aborted: _Aborted, omap: OffsetMap) -> None:
        self.plan = plan
        self.aborted = aborted
        self.map = omap
        self.horizon = plan.now_ms + plan.config.delete_retention_ms
        self.txn_has_data: dict[int, bool] = {}

    def filter(self, h: BatchHeader, data: bytes, stats: CleanStats) -> bytes | None:
        """The bytes to keep for one batch (``data`` itself, a rebuilt batch, or None)."""
        stats.records_read += h.records_count
        if h.is_control:
            return self._marker(h, data, stats)
        producer_last = self.plan.producer_last_offsets.get(h.producer_id) == h.last_offset
        if self.aborted.contains(h):
            return empty_batch(h) if producer_last else None
        _h, records = scan_raw_records(data)
        now = self.plan.now_ms
        expired = has_delete_horizon(h) and now >= h.base_timestamp
        kept = [
            r
            for r in records
            if r.key is not None
            and h.base_offset + r.offset_delta >= self.map.get(r.key)
            and not (r.tombstone and expired)
        ]
        stats.records_kept += len(kept)
        if not kept:
            return empty_batch(h) if producer_last else None
        if h.is_transactional:
            self.txn_has_data[h.producer_id] = True
        needs_horizon = not has_delete_horizon(h) and any(r.tombstone for r in kept)
        if len(kept) == len(records) and not needs_horizon:
            return data
        return rebuild_batch(data, h, kept, self.horizon if needs_horizon else None)

    def _marker(self, h: BatchHeader, data: bytes, stats: CleanStats) -> bytes | None:
        if self.txn_has_data.pop(h.producer_id, False):
            stats.records_kept += h.records_count
            return data
        if has_delete_horizon(h):
            if self.plan.now_ms >= h.base_timestamp:
                return None
            stats.records_kept += h.records_count
            return data
        stats.records_kept += h.records_count
        _h, records = scan_raw_records(data)
        return rebuild_batch(data, h, records, self.horizon)
