"""Log: one partition's ordered segments under ``<data_dir>/<topic>-<partition>/``.

The produce path stays opaque: ``append_as_leader`` reads each 61-byte batch header, checks
the CRC32C, rewrites baseOffset / partitionLeaderEpoch (and maxTimestamp + CRC for
LogAppendTime) in place and appends the request's bytes with one ``os.pwrite``. No object is
made per record. Reads return whole batches as memoryviews over one ``os.pread`` per segment.

Invariants: offsets are contiguous for leader appends; ``log_start_offset <= high_watermark
<= log_end_offset``; ``recovery_point`` (everything below it was fsynced) never exceeds the log
end offset. Only the last segment (the active one) takes appends and has preallocated indexes.

Durability: after an append returns the bytes are in the page cache (they survive the
process dying); ``flush`` (per ``flush.messages``, ``flush.ms`` via the LogManager, on roll and
on close) fsyncs them and advances the recovery point. Loading and recovery: see ``loader``.

Not thread-safe: one owner (the broker's event loop) calls it.
"""

from __future__ import annotations

import bisect
import logging
import random
import re
from collections.abc import Callable
from pathlib import Path

from odradek.common.clock import Clock
from odradek.common.config import LONG_MAX, LogConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import (
    BatchHeader,
    set_base_offset,
    set_log_append_time,
    set_partition_leader_epoch,
)
from odradek.storage.epoch import LeaderEpochFileCache
from odradek.storage.loader import load_segments, open_segment
from odradek.storage.log_read import LogReadMixin
from odradek.storage.producer_state import BatchMetadata, ProducerAppend
from odradek.storage.results import AppendInfo, FetchData
from odradek.storage.segment import LogSegment, unlink_all
from odradek.storage.txn_index import LogTransactions
from odradek.storage.validate import validate_request

__all__ = ["AppendInfo", "FetchData", "Log", "parse_dir_name"]

log = logging.getLogger(__name__)

MAX_RELATIVE_OFFSET = 2**31 - 1
_DIR_NAME = re.compile(r"^(?P<topic>.+)-(?P<partition>\d+)$")


def parse_dir_name(name: str) -> tuple[str, int] | None:
    """``<topic>-<partition>`` → ``(topic, partition)``; the partition follows the last '-'."""
    m = _DIR_NAME.match(name)
    if m is None:
        return None
    return m.group("topic"), int(m.group("partition"))


class Log(LogReadMixin):
    """A partition's log: append, read, roll, truncate, retention, flush."""

    def __init__(
        self,
        dir: Path,
        config: LogConfig,
        clock: Clock,
        *,
        recovery_point: int = 0,
        log_start_offset: int = 0,
        clean_shutdown: bool = True,
        on_log_start_offset_change: Callable[[Log], None] | None = None,
    ) -> None:
        parsed = parse_dir_name(dir.name)
        if parsed is None:
            raise ValueError(f"not a partition directory name: {dir.name}")
        self.topic, self.partition = parsed
        self.dir = dir
        self.config = config
        self.clock = clock
        self.on_log_start_offset_change = on_log_start_offset_change
        self._retired: list[tuple[int, list[Path]]] = []
        self._roll_jitter_ms = self._new_roll_jitter()
        dir.mkdir(parents=True, exist_ok=True)
        now = clock.now_ms()
        self._segments, self.load_report = load_segments(
            dir,
            config,
            now,
            recovery_point=recovery_point,
            log_start_offset=log_start_offset,
            clean=clean_shutdown,
        )
        self._bases = [s.base_offset for s in self._segments]
        self.active.offset_index.resize(config.segment_index_bytes)
        self.active.time_index.resize(config.segment_index_bytes)
        self._leo = self.active.next_offset
        self._log_start = max(log_start_offset, self._bases[0])
        self._hw = self._leo
        self.recovery_point = self._leo if not clean_shutdown else min(recovery_point, self._leo)
        self.last_flush_ms = now
        self.auto_high_watermark = True
        self.epochs = LeaderEpochFileCache(dir)
        if self._log_start > self._leo:
            # recovery cut below the (durable) log start: nothing readable is left
            self.load_report.append(
                f"{dir.name}: log end {self._leo} below log start {self._log_start}; "
                "restarting empty at the log start"
            )
            self.truncate_fully_and_start_at(self._log_start)
        self.epochs.truncate_from_end(self._leo)
        self.epochs.truncate_from_start(self._log_start)
        self.txns = LogTransactions(dir)
        self.txns.load(self._segments, self._log_start, self._leo, clean_shutdown)

    # -- properties ----------------------------------------------------------------------
    @property
    def log_start_offset(self) -> int:
        return self._log_start

    @property
    def log_end_offset(self) -> int:
        return self._leo

    @property
    def high_watermark(self) -> int:
        return self._hw

    @property
    def last_stable_offset(self) -> int:
        """First offset of the oldest open transaction, else the high watermark."""
        return self.txns.last_stable_offset(self._hw)

    def aborted_transactions(self, fetch_offset: int, upper: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of aborted transactions overlapping a fetch range."""
        return self.txns.aborted.collect(fetch_offset, upper)

    @property
    def active(self) -> LogSegment:
        return self._segments[-1]

    @property
    def unflushed_messages(self) -> int:
        return self._leo - self.recovery_point

    def segments(self) -> list[LogSegment]:
        return list(self._segments)

    def size_bytes(self) -> int:
        return sum(s.size for s in self._segments)

    def update_high_watermark(self, offset: int) -> int:
        """Set the high watermark (replication), clamped to [log start, log end]."""
        self._hw = max(self._log_start, min(offset, self._leo))
        return self._hw

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """OffsetForLeaderEpoch: ``(epoch, end offset)`` from the leader epoch cache."""
        return self.epochs.end_offset_for(epoch, self._leo)

    # -- appends -------------------------------------------------------------------------
    def append_as_leader(
        self, records: memoryview, now_ms: int, leader_epoch: int = 0, *, from_client: bool = True
    ) -> AppendInfo:
        """Validate, assign offsets in place and append; raises KafkaError, writes nothing then.

        Producer state is checked first (see ``producer_state``); a retried batch is answered
        with its original offsets. ``from_client=False`` is the transaction coordinator
        writing markers.
        """
        view = _writable(records)
        batches = validate_request(view, self.config, leader=True, now_ms=now_ms)
        if not batches:
            return AppendInfo(-1, -1, -1, self._log_start, 0)
        pending = self.txns.before_append(view, batches, self._leo, from_client)
        if isinstance(pending, BatchMetadata):
            return AppendInfo(pending.first_offset, pending.last_offset, -1, self._log_start, 0)
        append_time = self.config.message_timestamp_type == "LogAppendTime"
        first = offset = self._leo
        max_ts, offset_of_max, count = -1, first, 0
        for pos, h in batches:
            last = offset + h.last_offset_delta
            _stamp(view, pos, h, offset, leader_epoch, now_ms if append_time else None)
            ts = now_ms if append_time else h.max_timestamp
            if ts > max_ts:
                max_ts, offset_of_max = ts, last
            count += h.records_count
            offset = last + 1
        end = batches[-1][0] + batches[-1][1].size
        self._append(view[:end], first, offset - 1, max_ts, offset_of_max, now_ms, count)
        if pending is not None:
            self.txns.after_append(pending, self.active.base_offset, self._leo)
        self.epochs.assign(leader_epoch, first)
        if self.auto_high_watermark:
            self._hw = self._leo
        return AppendInfo(first, offset - 1, now_ms if append_time else -1, self._log_start, count)

    def append_as_follower(self, records: memoryview) -> AppendInfo:
        """Append batches whose offsets the leader assigned; they must start at/after LEO."""
        view = _writable(records)
        batches = validate_request(view, self.config, leader=False)
        if not batches:
            return AppendInfo(-1, -1, -1, self._log_start, 0)
        expected = self._leo
        max_ts, offset_of_max, count = -1, -1, 0
        for _pos, h in batches:
            if h.base_offset < expected:
                raise KafkaError(
                    ErrorCode.OFFSET_OUT_OF_RANGE,
                    f"follower append at {h.base_offset} below log end offset {expected}",
                )
            if h.max_timestamp > max_ts:
                max_ts, offset_of_max = h.max_timestamp, h.last_offset
            count += h.records_count
            expected = h.next_offset
        first = batches[0][1].base_offset
        end = batches[-1][0] + batches[-1][1].size
        now = self.clock.now_ms()
        pending = self.txns.before_append(view, batches, first, False)
        self._append(view[:end], first, expected - 1, max_ts, offset_of_max, now, count)
        if isinstance(pending, ProducerAppend):
            self.txns.after_append(pending, self.active.base_offset, self._leo)
        for _pos, h in batches:
            self.epochs.assign(h.partition_leader_epoch, h.base_offset)
        return AppendInfo(first, expected - 1, -1, self._log_start, count)

    def _append(
        self,
        data: memoryview,
        first: int,
        last: int,
        max_ts: int,
        offset_of_max: int,
        now_ms: int,
        count: int,
    ) -> None:
        if len(data) > self.config.segment_bytes:
            raise KafkaError(
                ErrorCode.RECORD_LIST_TOO_LARGE,
                f"{len(data)} bytes exceed segment.bytes {self.config.segment_bytes}",
            )
        self._maybe_roll(len(data), max_ts, last, now_ms, first)
        self.active.append(data, last, max_ts, offset_of_max)
        self._leo = last + 1
        if self.unflushed_messages >= self.config.flush_messages:
            self.flush()

    def _maybe_roll(self, size: int, max_ts: int, last: int, now_ms: int, first: int) -> None:
        seg = self.active
        if seg.size == 0:
            return
        reason = ""
        if seg.size + size > self.config.segment_bytes:
            reason = "segment.bytes"
        elif self._time_to_roll(seg, max_ts, now_ms):
            reason = "segment.ms"
        elif seg.indexes_full():
            reason = "index full"
        elif last - seg.base_offset > MAX_RELATIVE_OFFSET:
            reason = "relative offset overflow"
        if reason:
            log.debug("%s: rolling segment at %d (%s)", self.dir.name, first, reason)
            self._roll_at(first, now_ms)

    def _time_to_roll(self, seg: LogSegment, max_ts: int, now_ms: int) -> bool:
        """Kafka's rule: incoming max timestamp - first batch's timestamp > segment.ms (or
        max.compaction.lag.ms on a compacted log, so the cleaner can reach old records)."""
        first_ts = seg.load_first_batch_timestamp()
        waited = (
            max_ts - first_ts if first_ts is not None and first_ts >= 0 else now_ms - seg.created_ms
        )
        limit = self.config.segment_ms
        if "compact" in self.config.cleanup_policy:
            limit = min(limit, self.config.max_compaction_lag_ms)
        return waited > limit - self._roll_jitter_ms

    def _new_roll_jitter(self) -> int:
        """segment.jitter.ms: each segment rolls up to that much before segment.ms, so the
        partitions of a broker do not all roll at once (drawn in [0, min(jitter, segment.ms)))."""
        bound = min(self.config.segment_jitter_ms, self.config.segment_ms)
        return random.randrange(bound) if bound > 0 else 0

    def roll(self, now_ms: int) -> None:
        """Start a new active segment at the log end offset (no-op if the active is empty)."""
        if self.active.size > 0:
            self._roll_at(self._leo, now_ms)

    def _roll_at(self, base: int, now_ms: int) -> None:
        old = self.active
        old.on_become_inactive()  # fsyncs it; every older segment was fsynced on its roll
        self.recovery_point = max(self.recovery_point, base)
        seg = open_segment(self.dir, base, self.config, now_ms)
        seg.offset_index.resize(self.config.segment_index_bytes)
        seg.time_index.resize(self.config.segment_index_bytes)
        self._roll_jitter_ms = self._new_roll_jitter()
        self._segments.append(seg)
        self._bases.append(base)
        self.txns.on_roll(old.base_offset, base)

    def flush(self) -> None:
        """fsync every segment with unwritten data; the recovery point becomes the log end."""
        for seg in self._segments:
            seg.flush()
        self.recovery_point = self._leo
        self.last_flush_ms = self.clock.now_ms()

    # -- truncation and deletion ---------------------------------------------------------
    def truncate_to(self, offset: int) -> None:
        """Remove everything at or after ``offset`` (follower truncation)."""
        if offset >= self._leo:
            return
        if offset < self._log_start or offset <= self._bases[0]:
            self.truncate_fully_and_start_at(offset)
            return
        while len(self._segments) > 1 and self._bases[-1] > offset:
            self._retire(self._segments.pop())
            self._bases.pop()
        seg = self.active
        seg.truncate_to(offset)
        seg.offset_index.resize(self.config.segment_index_bytes)
        seg.time_index.resize(self.config.segment_index_bytes)
        self._leo = seg.next_offset
        self._hw = min(self._hw, self._leo)
        self.recovery_point = min(self.recovery_point, self._leo)
        self.epochs.truncate_from_end(self._leo)
        self.txns.after_truncate(self._segments, self._log_start, self._leo)

    def truncate_fully_and_start_at(self, offset: int) -> None:
        """Delete all data; the log restarts empty at ``offset``."""
        for seg in self._segments:
            self._retire(seg)
        seg = open_segment(self.dir, offset, self.config, self.clock.now_ms())
        seg.offset_index.resize(self.config.segment_index_bytes)
        seg.time_index.resize(self.config.segment_index_bytes)
        self._segments = [seg]
        self._bases = [offset]
        self._leo = self._hw = self._log_start = self.recovery_point = offset
        self.epochs.clear()
        if hasattr(self, "txns"):
            self.txns.reset()
            self.txns.producers.map_end_offset = offset
        self._log_start_changed()

    def delete_records_before(self, offset: int) -> int:
        """DeleteRecords: move the log start offset up to ``offset``; returns the new value."""
        if offset > self._hw or offset < 0:
            raise KafkaError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"offset {offset} is not in [0, high watermark {self._hw}]",
            )
        if offset <= self._log_start:
            return self._log_start
        self._log_start = offset
        self._delete_leading(lambda seg, nxt: nxt is not None and nxt <= offset)
        self.epochs.truncate_from_start(self._log_start)
        self._log_start_changed()
        return self._log_start

    def apply_retention(self, now_ms: int) -> int:
        """Delete whole expired segments (retention.ms, then retention.bytes); never the active."""
        if "delete" not in self.config.cleanup_policy:
            return 0
        deleted = 0
        retention_ms = self.config.retention_ms
        if retention_ms >= 0:
            deleted += self._delete_leading(
                lambda seg, _n: now_ms - seg.largest_timestamp() > retention_ms
            )
        if self.config.retention_bytes >= 0:
            excess = self.size_bytes() - self.config.retention_bytes

            def over(seg: LogSegment, _n: int | None) -> bool:
                nonlocal excess
                if excess - seg.size < 0:
                    return False
                excess -= seg.size
                return True

            deleted += self._delete_leading(over)
        deleted += self._delete_leading(lambda seg, nxt: nxt is not None and nxt <= self._log_start)
        self.txns.producers.remove_expired(now_ms)
        return deleted

    def _delete_leading(self, predicate: Callable[[LogSegment, int | None], bool]) -> int:
        """Delete segments from the oldest while ``predicate`` holds; never the active one."""
        n = 0
        while len(self._segments) > 1 and predicate(self._segments[0], self._bases[1]):
            seg = self._segments.pop(0)
            self._bases.pop(0)
            log.info("%s: deleting segment %d", self.dir.name, seg.base_offset)
            self._retire(seg)
            n += 1
        if n:
            new_start = max(self._log_start, self._bases[0])
            if new_start != self._log_start:
                self._log_start = new_start
                self._hw = max(self._hw, new_start)
                self.epochs.truncate_from_start(new_start)
                self._log_start_changed()
            self.txns.aborted.drop_below(self._bases[0])
            self.txns.producers.delete_snapshots_before(self._bases[0])
        return n

    def replace_segments(self, old: list[LogSegment], new: LogSegment) -> bool:
        """The cleaner's swap: consecutive inactive ``old`` segments become ``new``.

        False (nothing changed) when ``old`` is no longer a run of this log's inactive segments
        (retention, truncation or DeleteRecords got there first).
        """
        try:
            i = next(j for j, s in enumerate(self._segments) if s is old[0])
        except StopIteration:
            return False
        run = self._segments[i : i + len(old)]
        if len(run) != len(old) or any(a is not b for a, b in zip(run, old, strict=True)):
            return False
        if i + len(old) >= len(self._segments):
            return False
        self._segments[i : i + len(old)] = [new]
        self._bases[i : i + len(old)] = [new.base_offset]
        return True

    def _log_start_changed(self) -> None:
        if self.on_log_start_offset_change is not None:
            self.on_log_start_offset_change(self)

    # -- config and lifecycle ------------------------------------------------------------
    def update_config(self, config: LogConfig) -> None:
        self.config = config
        for seg in self._segments:
            seg.index_interval_bytes = config.index_interval_bytes

    def _retire(self, seg: LogSegment) -> None:
        """Take ``seg`` out of use now; its ``.deleted`` files go after file.delete.delay.ms."""
        paths = seg.retire()
        if self.config.file_delete_delay_ms <= 0:
            unlink_all(paths)
        else:
            due = self.clock.now_ms() + self.config.file_delete_delay_ms
            self._retired.append((due, paths))

    def delete_retired_files(self, now_ms: int) -> int:
        """Unlink the files of retired segments whose delay is over; returns how many batches."""
        due = [r for r in self._retired if r[0] <= now_ms]
        if due:
            self._retired = [r for r in self._retired if r[0] > now_ms]
            for _, paths in due:
                unlink_all(paths)
        return len(due)

    def close(self) -> None:
        """Flush, trim the active indexes and close every file; snapshot producer state."""
        self.txns.on_close(self._leo)
        for seg in self._segments:
            seg.close()
        self.delete_retired_files(LONG_MAX)
        self.recovery_point = self._leo

    def abandon(self) -> None:
        """Close file descriptors without trimming or syncing — what a crash leaves behind."""
        for seg in self._segments:
            seg.close_unclean()

    def _segment_index_for(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._bases, offset) - 1)

    def __repr__(self) -> str:
        return (
            f"Log({self.dir.name}, start={self._log_start}, end={self._leo}, "
            f"segments={len(self._segments)})"
        )


def _writable(records: memoryview | bytes | bytearray) -> memoryview:
    view = memoryview(records)
    if view.readonly:
        view = memoryview(bytearray(view))
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


def _stamp(
    view: memoryview, pos: int, h: BatchHeader, offset: int, epoch: int, append_time: int | None
) -> None:
    set_base_offset(view, pos, offset)
    set_partition_leader_epoch(view, pos, epoch)
    if append_time is not None:
        set_log_append_time(view, pos, h.size, append_time)
