"""LogSegment: one ``.log`` file of whole v2 batches plus its ``.index`` and ``.timeindex``.

Files are named by the 20-digit base offset (``00000000000000000000.log``). The ``.log`` file
is a plain concatenation of batches exactly as appended. Writes go through ``os.pwrite`` on a
raw fd at the known end position, so once ``append`` returns the bytes sit in the page cache
(they survive ``kill -9``; ``flush`` makes them survive power loss).

Invariants: ``size`` is the file length; batches are whole and their offsets increase;
``next_offset`` is one past the last batch's last offset (``base_offset`` when empty);
index entries point at batch starts. ``recover`` re-establishes all of them from the bytes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
from collections.abc import Iterator
from pathlib import Path

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import (
    HEADER_SIZE,
    LOG_OVERHEAD,
    MAGIC_V2,
    MIN_BATCH_LENGTH,
    BatchHeader,
    read_header,
)
from odradek.storage.index import CorruptIndexError, OffsetIndex, TimeIndex
from odradek.storage.writeback import PACE_BYTES, start_writeback

log = logging.getLogger(__name__)

SCAN_CHUNK = 16 * 1024
_LEAD = struct.Struct(">qiib")  # baseOffset, batchLength, partitionLeaderEpoch, magic
_I32 = struct.Struct(">i")


def segment_name(base_offset: int) -> str:
    return f"{base_offset:020d}"


class LogSegment:
    """One segment: the batch file, its sparse offset index and its time index."""

    def __init__(
        self,
        dir: Path,
        base_offset: int,
        index_interval_bytes: int,
        max_index_bytes: int,
        created_ms: int,
        suffix: str = "",
    ) -> None:
        """``suffix`` (e.g. ``.cleaned``) is appended to every file name: the cleaner writes
        a segment under temporary names and renames it into place (see ``swap``)."""
        self.dir = dir
        self.base_offset = base_offset
        self.index_interval_bytes = index_interval_bytes
        stem = segment_name(base_offset)
        self.log_path = dir / f"{stem}.log{suffix}"
        self._fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT, 0o644)
        self.size = os.fstat(self._fd).st_size
        self._paced_to = self.size  # writeback queued up to here (see storage.writeback)
        index_path, time_path = dir / f"{stem}.index{suffix}", dir / f"{stem}.timeindex{suffix}"
        self.indexes_existed = index_path.exists() and time_path.exists()
        self.offset_index = OffsetIndex(index_path, base_offset, max_index_bytes)
        self.time_index = TimeIndex(time_path, base_offset, max_index_bytes)
        self.created_ms = created_ms
        self.next_offset = base_offset
        self.max_timestamp = -1
        self.offset_of_max_timestamp = base_offset
        self.first_batch_timestamp: int | None = None
        self.bytes_since_last_index = 0
        self.unflushed = False
        self.corrupt = False

    # -- appending -----------------------------------------------------------------------
    def append(
        self, data: memoryview, last_offset: int, max_timestamp: int, offset_of_max_ts: int
    ) -> None:
        """Append whole batches (already validated, offsets assigned) at the end of the file.

        An I/O error cuts the file back to its previous end and raises
        KafkaError(KAFKA_STORAGE_ERROR); indexes are only updated after a complete write.
        """
        pos = self.size
        self._write_at(data, pos)
        if pos == 0:
            self.first_batch_timestamp = int(read_header(data, 0).max_timestamp)
        if max_timestamp > self.max_timestamp:
            self.max_timestamp = max_timestamp
            self.offset_of_max_timestamp = offset_of_max_ts
        self._maybe_index(pos, last_offset)
        self.size = pos + len(data)
        self.bytes_since_last_index += len(data)
        self.next_offset = last_offset + 1
        self.unflushed = True
        if self.size - self._paced_to >= PACE_BYTES:
            start_writeback(self._fd, self._paced_to, self.size - self._paced_to)
            self._paced_to = self.size

    def _write_at(self, data: memoryview, pos: int) -> None:
        n = len(data)
        written = 0
        try:
            while written < n:
                written += os.pwrite(self._fd, data[written:], pos + written)
        except OSError as exc:
            log.error("%s: write failed at %d: %s", self.log_path, pos, exc)
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, pos)
            raise KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, f"{self.log_path}: {exc}") from exc

    def _maybe_index(self, pos: int, last_offset: int) -> None:
        """Kafka's rule: index an append once more than index.interval.bytes went unindexed."""
        if self.bytes_since_last_index > self.index_interval_bytes:
            self.offset_index.append(last_offset, pos)
            self.time_index.maybe_append(self.max_timestamp, self.offset_of_max_timestamp)
            self.bytes_since_last_index = 0

    def index_batch(self, pos: int, h: BatchHeader) -> None:
        """Account one existing batch while rebuilding indexes (recovery, truncation)."""
        if pos == 0:
            self.first_batch_timestamp = h.max_timestamp
        if h.max_timestamp > self.max_timestamp:
            self.max_timestamp = h.max_timestamp
            self.offset_of_max_timestamp = h.last_offset
        self._maybe_index(pos, h.last_offset)
        self.bytes_since_last_index += h.size
        self.next_offset = h.next_offset

    def reset_indexes(self) -> None:
        """Forget all index state before a rebuild."""
        self.offset_index.reset()
        self.time_index.reset()
        self.max_timestamp = -1
        self.offset_of_max_timestamp = self.base_offset
        self.first_batch_timestamp = None
        self.bytes_since_last_index = 0
        self.next_offset = self.base_offset

    def indexes_full(self) -> bool:
        return self.offset_index.is_full() or self.time_index.is_full()

    # -- reading -------------------------------------------------------------------------
    def pread(self, size: int, pos: int) -> bytes:
        return os.pread(self._fd, size, pos)

    def scan(
        self, start_pos: int = 0, end_pos: int | None = None
    ) -> Iterator[tuple[int, BatchHeader]]:
        """Yield ``(position, header)`` of each batch from ``start_pos``; no CRC check.

        Raises KafkaError(KAFKA_STORAGE_ERROR) for a header that cannot be a v2 batch, so a
        damaged segment is never served as data.
        """
        end = self.size if end_pos is None else end_pos
        pos = start_pos
        chunk = b""
        chunk_pos = pos
        while pos + HEADER_SIZE <= end:
            if pos + HEADER_SIZE > chunk_pos + len(chunk) or pos < chunk_pos:
                chunk = self.pread(min(SCAN_CHUNK, end - pos), pos)
                chunk_pos = pos
                if len(chunk) < HEADER_SIZE:
                    return
            h = read_header(chunk, pos - chunk_pos)
            if h.magic != MAGIC_V2 or h.batch_length < MIN_BATCH_LENGTH or pos + h.size > end:
                self.corrupt = True
                log.error("%s: invalid batch header at position %d", self.log_path, pos)
                raise KafkaError(
                    ErrorCode.KAFKA_STORAGE_ERROR, f"{self.log_path}: corrupt batch at {pos}"
                )
            yield pos, h
            pos += h.size

    def translate_offset(self, offset: int) -> tuple[int, BatchHeader] | None:
        """Position and header of the first batch whose last offset >= ``offset``."""
        _, start = self.offset_index.lookup(offset)
        for pos, h in self.scan(start):
            if h.last_offset >= offset:
                return pos, h
        return None

    def read(
        self, start_pos: int, max_bytes: int, max_offset: int | None, min_one: bool
    ) -> tuple[list[memoryview], int, bool]:
        """Whole batches from ``start_pos``: ``(buffers, size, reached_end_of_segment)``.

        One ``pread`` covers the range (two when the first batch alone exceeds ``max_bytes``
        and ``min_one`` allows it). Stops before the first batch whose last offset reaches
        ``max_offset``.
        """
        want = min(max_bytes, self.size - start_pos)
        if want <= 0 and not min_one:
            return [], 0, start_pos >= self.size
        data = self.pread(max(want, HEADER_SIZE), start_pos) if start_pos < self.size else b""
        view = memoryview(data)
        out: list[memoryview] = []
        pos = 0
        total = 0
        limit = len(data)
        unpack_lead, unpack_delta = _LEAD.unpack_from, _I32.unpack_from
        while pos + HEADER_SIZE <= limit:
            base, length, _epoch, magic = unpack_lead(data, pos)
            if magic != MAGIC_V2 or length < MIN_BATCH_LENGTH:
                self.corrupt = True
                log.error("%s: invalid batch at position %d", self.log_path, start_pos + pos)
                raise KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, f"{self.log_path}: corrupt batch")
            if max_offset is not None and base + unpack_delta(data, pos + 23)[0] >= max_offset:
                return out, total, False
            size = LOG_OVERHEAD + length
            if pos + size > limit:
                if out or not min_one or total + size <= max_bytes:
                    break
                whole = self.pread(size, start_pos + pos)
                if len(whole) < size:
                    break
                return [memoryview(whole)], size, start_pos + pos + size >= self.size
            if total + size > max_bytes and (out or not min_one):
                return out, total, False
            out.append(view[pos : pos + size])
            total += size
            pos += size
        return out, total, start_pos + pos >= self.size

    def read_batch(self, pos: int, size: int) -> bytes:
        return self.pread(size, pos)

    # -- lifecycle -----------------------------------------------------------------------
    def load_indexes(self, next_base: int | None = None) -> bool:
        """Load index files; False if missing or corrupt (the caller then calls ``recover``).

        For an inactive segment (``next_base`` given) nothing else is read: its next offset
        is the next segment's base and its max timestamp the last time-index entry written
        at roll. The active segment's tail after the last index entry is walked.
        """
        try:
            self.offset_index.load()
            self.time_index.load()
        except CorruptIndexError as exc:
            log.warning("%s", exc)
            return False
        if not self.indexes_existed and self.size > 0:
            return False
        if self.offset_index.entries and self.offset_index.last_position() >= self.size:
            return False
        if next_base is not None:
            last = self.time_index.last_entry()
            if last is not None:
                self.max_timestamp, self.offset_of_max_timestamp = last
            self.next_offset = next_base
            return True
        try:
            self._load_tail_state()
        except KafkaError:
            return False
        return True

    def _load_tail_state(self) -> None:
        """Find next offset and max timestamp from the last index entries and the tail."""
        last = self.time_index.last_entry()
        if last is not None:
            self.max_timestamp, self.offset_of_max_timestamp = last
        start = self.offset_index.last_position()
        self.next_offset = self.base_offset
        for pos, h in self.scan(start):
            self.next_offset = h.next_offset
            if h.max_timestamp > self.max_timestamp:
                self.max_timestamp = h.max_timestamp
                self.offset_of_max_timestamp = h.last_offset
            del pos
        self.bytes_since_last_index = self.size - start

    def load_first_batch_timestamp(self) -> int | None:
        if self.first_batch_timestamp is None and self.size >= HEADER_SIZE:
            self.first_batch_timestamp = int(read_header(self.pread(HEADER_SIZE, 0)).max_timestamp)
        return self.first_batch_timestamp

    def largest_timestamp(self) -> int:
        """Max timestamp of the segment, or its file mtime when it has none (retention.ms)."""
        if self.max_timestamp >= 0:
            return self.max_timestamp
        return int(os.fstat(self._fd).st_mtime * 1000)

    def truncate_to(self, offset: int) -> int:
        """Drop every batch whose last offset >= ``offset``; return bytes removed."""
        found = self.translate_offset(offset)
        if found is None:
            return 0
        pos = found[0]
        return self.truncate_to_position(pos)

    def truncate_to_position(self, pos: int) -> int:
        """Cut the file at ``pos`` (a batch boundary) and rebuild the indexes from the rest."""
        removed = self.size - pos
        os.ftruncate(self._fd, pos)
        self.size = pos
        self._paced_to = min(self._paced_to, pos)
        self.rebuild_indexes()
        self.unflushed = True
        return removed

    def rebuild_indexes(self) -> None:
        """Re-derive both indexes, next offset and max timestamp from the batch headers."""
        self.reset_indexes()
        for pos, h in self.scan(0):
            self.index_batch(pos, h)

    def on_become_inactive(self) -> None:
        """Roll: final time-index entry, trim preallocated indexes, fsync everything."""
        if self.max_timestamp >= 0:
            self.time_index.maybe_append(
                self.max_timestamp, self.offset_of_max_timestamp, skip_full_check=True
            )
        self.offset_index.trim()
        self.time_index.trim()
        self.flush()
        self.release_index_files()

    def release_index_files(self) -> None:
        """Close the index fds of an inactive segment (entries stay in memory)."""
        self.offset_index.release()
        self.time_index.release()

    def flush(self) -> None:
        if self.unflushed:
            os.fsync(self._fd)
            self.unflushed = False
        self.offset_index.flush()
        self.time_index.flush()

    def close(self) -> None:
        if self._fd >= 0:
            self.offset_index.trim()
            self.time_index.trim()
            self.flush()
            os.close(self._fd)
            self._fd = -1
            self.offset_index.close()
            self.time_index.close()

    def close_unclean(self) -> None:
        """Release fds without trimming or syncing (crash simulation, tests)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            self.offset_index.close()
            self.time_index.close()

    def retire(self) -> list[Path]:
        """Close the segment and rename its files to ``<name>.deleted``; return the new paths.

        The caller unlinks them, at once or after ``file.delete.delay.ms``; a crash in between
        leaves ``.deleted`` files, which the loader removes."""
        self.close_unclean()
        txn_index = self.log_path.with_suffix(".txnindex")
        gone: list[Path] = []
        for p in (self.log_path, self.offset_index.path, self.time_index.path, txn_index):
            doomed = p.with_name(p.name + ".deleted")
            try:
                os.rename(p, doomed)
            except FileNotFoundError:
                continue
            gone.append(doomed)
        return gone

    def delete(self) -> None:
        """Remove the segment files now (renamed to ``.deleted`` first, as Kafka does)."""
        unlink_all(self.retire())

    def __repr__(self) -> str:
        return f"LogSegment(base={self.base_offset}, size={self.size}, next={self.next_offset})"


def unlink_all(paths: list[Path]) -> None:
    """Unlink every path, ignoring the ones already gone."""
    for p in paths:
        p.unlink(missing_ok=True)
