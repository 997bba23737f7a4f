"""Aborted transactions of a partition: the ``.txnindex`` files of its segments.

Format (Kafka's ``AbortedTxn``, 34 bytes per entry, big-endian): version i16 = 0, producer id
i64, first offset i64, last offset i64 (the ABORT marker's offset), last stable offset i64
(the LSO when the abort completed). An entry goes to the ``.txnindex`` of the segment holding
its marker; entries are appended in marker order.

All entries are also kept in memory (a partition has few aborted transactions), so a
read_committed fetch finds the ones overlapping its range without touching files. On load the
files are read; a torn tail (partial entry) is cut. Truncating the log cuts entries whose
marker is at or after the truncation offset; deleting a segment deletes its file.
"""

from __future__ import annotations

import bisect
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import BatchHeader
from odradek.storage.producer_state import (
    BatchMetadata,
    CompletedTxn,
    ProducerAppend,
    ProducerStateManager,
)
from odradek.storage.segment import LogSegment

log = logging.getLogger(__name__)

ENTRY = struct.Struct(">hqqqq")
SUFFIX = ".txnindex"


@dataclass(frozen=True, slots=True)
class AbortedTxn:
    producer_id: int
    first_offset: int
    last_offset: int
    last_stable_offset: int


def index_path(dir: Path, base_offset: int) -> Path:
    return dir / f"{base_offset:020d}{SUFFIX}"


def read_index_file(path: Path) -> list[AbortedTxn]:
    """Entries of one ``.txnindex`` (a partial last entry is ignored)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    out = []
    for pos in range(0, len(data) - ENTRY.size + 1, ENTRY.size):
        version, pid, first, last, lso = ENTRY.unpack_from(data, pos)
        if version != 0:
            break
        out.append(AbortedTxn(pid, first, last, lso))
    return out


class TransactionIndex:
    """The aborted transactions of one log, by marker offset, backed by per-segment files."""

    def __init__(self, dir: Path) -> None:
        self.dir = dir
        self.entries: list[AbortedTxn] = []
        self._lasts: list[int] = []

    def load(self, bases: list[int], log_end: int) -> None:
        """Read the files of the segments ``bases``; drop entries at or past ``log_end``."""
        entries: list[AbortedTxn] = []
        for base in bases:
            path = index_path(self.dir, base)
            got = [e for e in read_index_file(path) if e.last_offset < log_end]
            if path.exists() and path.stat().st_size != len(got) * ENTRY.size:
                _rewrite(path, got)
            entries.extend(got)
        entries.sort(key=lambda e: e.last_offset)
        self.entries = entries
        self._lasts = [e.last_offset for e in entries]

    def contains(self, producer_id: int, last_offset: int) -> bool:
        i = bisect.bisect_left(self._lasts, last_offset)
        while i < len(self.entries) and self._lasts[i] == last_offset:
            if self.entries[i].producer_id == producer_id:
                return True
            i += 1
        return False

    def append(self, segment_base: int, txn: AbortedTxn) -> None:
        with open(index_path(self.dir, segment_base), "ab") as f:
            f.write(
                ENTRY.pack(
                    0, txn.producer_id, txn.first_offset, txn.last_offset, txn.last_stable_offset
                )
            )
        i = bisect.bisect_right(self._lasts, txn.last_offset)
        self.entries.insert(i, txn)
        self._lasts.insert(i, txn.last_offset)

    def flush(self, segment_base: int) -> None:
        path = index_path(self.dir, segment_base)
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def truncate_to(self, offset: int, bases: list[int]) -> None:
        """Forget entries whose marker is at or after ``offset``; rewrite affected files."""
        if not self._lasts or self._lasts[-1] < offset:
            return
        keep = bisect.bisect_left(self._lasts, offset)
        del self.entries[keep:]
        del self._lasts[keep:]
        for base in bases:
            path = index_path(self.dir, base)
            old = read_index_file(path)
            new = [e for e in old if e.last_offset < offset]
            if len(new) != len(old):
                _rewrite(path, new)

    def drop_below(self, offset: int) -> None:
        """Forget entries wholly below ``offset`` (their segments were deleted)."""
        keep = bisect.bisect_left(self._lasts, offset)
        if keep:
            del self.entries[:keep]
            del self._lasts[:keep]

    def collect(self, fetch_offset: int, upper: int) -> list[tuple[int, int]]:
        """(producer id, first offset) of aborted txns overlapping [fetch_offset, upper)."""
        i = bisect.bisect_left(self._lasts, fetch_offset)
        return [(e.producer_id, e.first_offset) for e in self.entries[i:] if e.first_offset < upper]


def _rewrite(path: Path, entries: list[AbortedTxn]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        for e in entries:
            f.write(
                ENTRY.pack(0, e.producer_id, e.first_offset, e.last_offset, e.last_stable_offset)
            )
    os.replace(tmp, path)


class LogTransactions:
    """A Log's producer state and aborted-transaction index, kept in step with its appends.

    ``last_stable_offset`` (LSO) is the first offset of the oldest open transaction, or the
    high watermark when none is open.
    """

    def __init__(self, dir: Path) -> None:
        self.producers = ProducerStateManager(dir)
        self.aborted = TransactionIndex(dir)

    def load(
        self, segments: list[LogSegment], log_start: int, log_end: int, clean: bool = False
    ) -> None:
        """Read the index files and the newest snapshot, then replay the headers after it.

        Snapshots are written whenever there are producers (at every roll and on close), so
        no snapshot at all means the state was empty at the last roll (replay the active
        segment only) and, after a clean shutdown, empty at the end (replay nothing).
        """
        bases = [s.base_offset for s in segments]
        self.aborted.load(bases, log_end)
        self.producers.delete_snapshots_after(log_end)
        snap = self.producers.load_latest_snapshot(log_end)
        if snap is None:
            start = log_end if clean else max(log_start, bases[-1])
        else:
            start = max(snap, log_start)
        self.producers.map_end_offset = start
        self._replay(segments, start, log_end)

    def _replay(self, segments: list[LogSegment], start: int, end: int) -> None:
        for seg in segments:
            if seg.next_offset <= start or seg.size == 0:
                continue
            try:
                self._replay_segment(seg, start, end)
            except KafkaError as exc:  # a damaged segment below the recovery point
                log.error("producer state: skipping the rest of segment %s: %s", seg, exc)

    def _replay_segment(self, seg: LogSegment, start: int, end: int) -> None:
        found = seg.translate_offset(start)
        if found is None:
            return
        for pos, h in seg.scan(found[0]):
            if h.last_offset < start:
                continue
            if h.base_offset >= end:
                return
            data = memoryview(seg.read_batch(pos, h.size)) if h.is_control else None
            for txn in self.producers.replay([(h, data)]):
                if txn.is_aborted and not self.aborted.contains(txn.producer_id, txn.last_offset):
                    self._index(seg.base_offset, txn)

    def _index(self, segment_base: int, txn: CompletedTxn) -> None:
        lso = self.producers.first_unstable_offset()
        self.aborted.append(
            segment_base,
            AbortedTxn(
                txn.producer_id,
                txn.first_offset,
                txn.last_offset,
                txn.last_offset + 1 if lso is None else lso,
            ),
        )

    def before_append(
        self, view: memoryview, batches: list[tuple[int, BatchHeader]], first: int, client: bool
    ) -> ProducerAppend | BatchMetadata | None:
        """Check the batches' producer state; a duplicate's metadata means: do not write."""
        if not any(h.producer_id >= 0 for _p, h in batches):
            if client and any(h.is_control for _p, h in batches):
                raise KafkaError(ErrorCode.INVALID_RECORD, "control batches are not accepted")
            return None
        if client:
            if any(h.is_control for _p, h in batches):
                raise KafkaError(ErrorCode.INVALID_RECORD, "Clients cannot append control batches")
            dup = self.producers.find_duplicate(batches)
            if dup is not None:
                return dup
        pending = self.producers.begin()
        offset = first
        for pos, h in batches:
            if h.producer_id >= 0:
                data = view[pos : pos + h.size] if h.is_control else None
                pending.add(h, offset, data, client)
            offset += h.last_offset_delta + 1
        return pending

    def after_append(self, pending: ProducerAppend, segment_base: int, end: int) -> None:
        self.producers.apply(pending, end)
        for txn in pending.completed:
            if txn.is_aborted:
                self._index(segment_base, txn)

    def last_stable_offset(self, high_watermark: int) -> int:
        first = self.producers.first_unstable_offset()
        return high_watermark if first is None else min(first, high_watermark)

    def on_roll(self, old_base: int, new_base: int) -> None:
        self.aborted.flush(old_base)
        self.producers.map_end_offset = new_base
        self.producers.take_snapshot()

    def on_close(self, log_end: int) -> None:
        self.producers.map_end_offset = log_end
        self.producers.take_snapshot()

    def after_truncate(self, segments: list[LogSegment], log_start: int, log_end: int) -> None:
        self.aborted.truncate_to(log_end, [s.base_offset for s in segments])
        self.load(segments, log_start, log_end)

    def reset(self) -> None:
        """The log was emptied: forget producers, snapshots and aborted transactions."""
        for off in self.producers.snapshot_offsets():
            self.producers.snapshot_path(off).unlink(missing_ok=True)
        self.producers.producers = {}
        self.aborted.entries, self.aborted._lasts = [], []
