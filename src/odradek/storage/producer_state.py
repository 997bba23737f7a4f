"""Per-partition producer state: idempotent sequences, epochs and open transactions.

Kept only from v2 batch headers (producer id, epoch, base sequence, last offset delta,
attributes); the records of a batch are read only for control batches (one record each).

Per producer id (Kafka's ``ProducerStateEntry``): the epoch, the metadata of the last 5
batches (first/last sequence, first/last offset, max timestamp) used to answer retries
(DUPLICATE), the coordinator epoch of the last marker and the first offset of the producer's
open transaction, if any.

Validation of a client append (Kafka's ``ProducerAppendInfo``), in order:

1. A batch equal (same epoch and sequence range) to one of the last 5 of its producer is a
   duplicate: the whole append is answered with the original offsets and nothing is written.
2. Epoch below the current one: INVALID_PRODUCER_EPOCH (KIP-588).
3. A new epoch must start at sequence 0 unless the producer was unknown, else
   OUT_OF_ORDER_SEQUENCE_NUMBER; within an epoch a batch must continue the last sequence
   (wrapping at 2^31). An unknown producer (never seen, expired or removed by retention) may
   start at any sequence: current Kafka no longer answers UNKNOWN_PRODUCER_ID (KIP-360).
4. A non-transactional batch while the producer has an open transaction: INVALID_TXN_STATE.

Markers (control batches, written by the transaction coordinator) close the open transaction;
a marker with a lower coordinator epoch than the last is TRANSACTION_COORDINATOR_FENCED.

Snapshots (Kafka's layout, ``<offset>.snapshot``): version i16 = 1, crc32c u32 of the rest,
then i32 count and per producer: id i64, epoch i16, last sequence i32, last offset i64,
offset delta i32, timestamp i64, coordinator epoch i32, current txn first offset i64. Taken at
segment roll and on close; on load the newest snapshot at or below the log end is read and the
batch headers after it are replayed. A snapshot keeps only the last batch per producer.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import crc32c

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import HEADER_SIZE, BatchHeader
from odradek.records.record import iter_records

MAX_CACHED_BATCHES = 5
SEQ_MODULO = 2**31
NO_EPOCH = -1
DEFAULT_EXPIRATION_MS = 86_400_000
SNAPSHOT_SUFFIX = ".snapshot"
_SNAP_HEAD = struct.Struct(">hIi")
_SNAP_ENTRY = struct.Struct(">qhiqiqiq")
_CONTROL_KEY = struct.Struct(">hh")
_CONTROL_VALUE = struct.Struct(">hi")
ABORT, COMMIT = 0, 1


@dataclass(frozen=True, slots=True)
class BatchMetadata:
    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class CompletedTxn:
    """A transaction closed by a marker; ``last_offset`` is the marker's offset."""

    producer_id: int
    first_offset: int
    last_offset: int
    is_aborted: bool


@dataclass(slots=True)
class ProducerEntry:
    producer_id: int
    epoch: int = NO_EPOCH
    batches: deque[BatchMetadata] = field(default_factory=lambda: deque(maxlen=MAX_CACHED_BATCHES))
    coordinator_epoch: int = -1
    last_timestamp: int = -1
    txn_first_offset: int = -1

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else -1

    def copy(self) -> ProducerEntry:
        return ProducerEntry(
            self.producer_id,
            self.epoch,
            deque(self.batches, maxlen=MAX_CACHED_BATCHES),
            self.coordinator_epoch,
            self.last_timestamp,
            self.txn_first_offset,
        )

    def find_duplicate(self, h: BatchHeader) -> BatchMetadata | None:
        if h.producer_epoch != self.epoch:
            return None
        last = (h.base_sequence + h.last_offset_delta) % SEQ_MODULO
        for b in self.batches:
            if b.first_seq == h.base_sequence and b.last_seq == last:
                return b
        return None


def control_type(batch: memoryview | bytes) -> tuple[int, int]:
    """(type, coordinator epoch) of a control batch's record: 0 ABORT, 1 COMMIT."""
    for rec in iter_records(batch):
        kind = _CONTROL_KEY.unpack_from(rec.key or b"\0\0\xff\xff")[1]
        epoch = _CONTROL_VALUE.unpack_from(rec.value)[1] if rec.value and len(rec.value) >= 6 else 0
        return int(kind), int(epoch)
    raise KafkaError(ErrorCode.INVALID_RECORD, "control batch without a record")


def _in_sequence(last: int, first: int) -> bool:
    return first == last + 1 or (first == 0 and last == SEQ_MODULO - 1)


class ProducerAppend:
    """Updates of one append, computed before it is written and applied once it is."""

    def __init__(self, state: ProducerStateManager) -> None:
        self.state = state
        self.entries: dict[int, ProducerEntry] = {}
        self.completed: list[CompletedTxn] = []
        self.check_markers = True  # off when replaying the log

    def _entry(self, pid: int) -> tuple[ProducerEntry, bool]:
        entry = self.entries.get(pid)
        if entry is not None:
            return entry, True
        current = self.state.producers.get(pid)
        entry = current.copy() if current is not None else ProducerEntry(pid)
        self.entries[pid] = entry
        return entry, current is not None

    def add(self, h: BatchHeader, base_offset: int, batch: memoryview | None, client: bool) -> None:
        """Validate (client appends) and record one batch placed at ``base_offset``."""
        entry, _known = self._entry(h.producer_id)
        last_offset = base_offset + h.last_offset_delta
        if h.is_control:
            self._add_marker(entry, h, last_offset, batch, client)
            return
        if client:
            self._check(entry, h)
        if h.is_transactional and entry.txn_first_offset < 0:
            entry.txn_first_offset = base_offset
        if h.producer_epoch != entry.epoch:
            entry.batches.clear()
            entry.epoch = h.producer_epoch
        last_seq = (h.base_sequence + h.last_offset_delta) % SEQ_MODULO
        entry.batches.append(
            BatchMetadata(h.base_sequence, last_seq, base_offset, last_offset, h.max_timestamp)
        )
        entry.last_timestamp = h.max_timestamp

    def _check(self, entry: ProducerEntry, h: BatchHeader) -> None:
        pid, epoch, seq = h.producer_id, h.producer_epoch, h.base_sequence
        if epoch < entry.epoch:
            raise KafkaError(
                ErrorCode.INVALID_PRODUCER_EPOCH,
                f"Epoch of producer {pid} at offset is {epoch}, "
                f"which is smaller than the last seen epoch {entry.epoch}",
            )
        if epoch != entry.epoch:
            if seq != 0 and entry.epoch != NO_EPOCH:
                raise KafkaError(
                    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    f"Invalid sequence number for new epoch of producer {pid}: "
                    f"{epoch} (request epoch), {seq} (seq. number), {entry.epoch} (current epoch)",
                )
        elif entry.batches and not _in_sequence(entry.last_seq, seq):
            raise KafkaError(
                ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
                f"Out of order sequence number for producer {pid}: {seq} (incoming seq. "
                f"number), {entry.last_seq} (current end sequence number)",
            )
        if not h.is_transactional and entry.txn_first_offset >= 0:
            raise KafkaError(
                ErrorCode.INVALID_TXN_STATE,
                f"Expected transactional write from producer {pid} at offset {h.base_offset}",
            )

    def _add_marker(
        self,
        entry: ProducerEntry,
        h: BatchHeader,
        offset: int,
        batch: memoryview | None,
        client: bool,
    ) -> None:
        if batch is None:
            raise KafkaError(ErrorCode.INVALID_RECORD, "control batch without its bytes")
        kind, coordinator_epoch = control_type(batch)
        if self.check_markers:
            if h.producer_epoch < entry.epoch:
                raise KafkaError(
                    ErrorCode.INVALID_PRODUCER_EPOCH,
                    f"marker epoch {h.producer_epoch} below producer epoch {entry.epoch}",
                )
            if coordinator_epoch < entry.coordinator_epoch:
                raise KafkaError(
                    ErrorCode.TRANSACTION_COORDINATOR_FENCED,
                    f"coordinator epoch {coordinator_epoch} below {entry.coordinator_epoch}",
                )
        if kind not in (ABORT, COMMIT):
            return
        if entry.txn_first_offset >= 0:
            self.completed.append(
                CompletedTxn(h.producer_id, entry.txn_first_offset, offset, kind == ABORT)
            )
        entry.txn_first_offset = -1
        entry.coordinator_epoch = coordinator_epoch
        if h.producer_epoch != entry.epoch:
            entry.batches.clear()
        entry.epoch = h.producer_epoch
        entry.last_timestamp = h.max_timestamp


class ProducerStateManager:
    """The producer entries of one partition, their open transactions and snapshots."""

    def __init__(self, dir: Path, expiration_ms: int = DEFAULT_EXPIRATION_MS) -> None:
        self.dir = dir
        self.expiration_ms = expiration_ms
        self.producers: dict[int, ProducerEntry] = {}
        self.map_end_offset = 0  # one past the last offset folded in

    # -- appends -------------------------------------------------------------------------
    def find_duplicate(self, batches: Iterable[tuple[int, BatchHeader]]) -> BatchMetadata | None:
        for _pos, h in batches:
            if h.producer_id >= 0 and not h.is_control:
                entry = self.producers.get(h.producer_id)
                if entry is not None and (dup := entry.find_duplicate(h)) is not None:
                    return dup
        return None

    def begin(self) -> ProducerAppend:
        return ProducerAppend(self)

    def apply(self, append: ProducerAppend, end_offset: int) -> None:
        self.producers.update(append.entries)
        self.map_end_offset = max(self.map_end_offset, end_offset)

    def first_unstable_offset(self) -> int | None:
        firsts = [e.txn_first_offset for e in self.producers.values() if e.txn_first_offset >= 0]
        return min(firsts) if firsts else None

    def ongoing(self) -> dict[int, int]:
        """Open transactions: producer id → first offset."""
        return {
            pid: e.txn_first_offset for pid, e in self.producers.items() if e.txn_first_offset >= 0
        }

    def remove_expired(self, now_ms: int) -> int:
        """Drop producers idle for ``producer.id.expiration.ms`` without an open transaction."""
        gone = [
            pid
            for pid, e in self.producers.items()
            if e.txn_first_offset < 0 and now_ms - e.last_timestamp >= self.expiration_ms
        ]
        for pid in gone:
            del self.producers[pid]
        return len(gone)

    # -- snapshots -----------------------------------------------------------------------
    def snapshot_path(self, offset: int) -> Path:
        return self.dir / f"{offset:020d}{SNAPSHOT_SUFFIX}"

    def snapshot_offsets(self) -> list[int]:
        out = []
        for p in self.dir.glob(f"*{SNAPSHOT_SUFFIX}"):
            stem = p.name[: -len(SNAPSHOT_SUFFIX)]
            if len(stem) == 20 and stem.isdigit():
                out.append(int(stem))
        return sorted(out)

    def take_snapshot(self, keep: int = 3) -> None:
        """Write ``<map end offset>.snapshot`` (atomically) and keep the newest ``keep``.

        With no producer at all nothing is written (a later load rebuilds the same empty
        state from the headers).
        """
        if not self.producers:
            return
        body = bytearray(struct.pack(">i", len(self.producers)))
        for e in self.producers.values():
            last = e.batches[-1] if e.batches else None
            body += _SNAP_ENTRY.pack(
                e.producer_id,
                e.epoch,
                last.last_seq if last else -1,
                last.last_offset if last else -1,
                (last.last_offset - last.first_offset) if last else 0,
                e.last_timestamp,
                e.coordinator_epoch,
                e.txn_first_offset,
            )
        crc = crc32c.crc32c(bytes(body))
        data = struct.pack(">hI", 1, crc) + body
        path = self.snapshot_path(self.map_end_offset)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        for off in self.snapshot_offsets()[:-keep]:
            self.snapshot_path(off).unlink(missing_ok=True)

    def delete_snapshots_before(self, offset: int) -> None:
        for off in self.snapshot_offsets():
            if off < offset:
                self.snapshot_path(off).unlink(missing_ok=True)

    def delete_snapshots_after(self, offset: int) -> None:
        for off in self.snapshot_offsets():
            if off > offset:
                self.snapshot_path(off).unlink(missing_ok=True)

    def load_latest_snapshot(self, at_most: int) -> int | None:
        """Load the newest valid snapshot at or below ``at_most``; return its offset."""
        for off in reversed(self.snapshot_offsets()):
            if off > at_most:
                continue
            try:
                self.producers = _read_snapshot(self.snapshot_path(off).read_bytes())
            except (ValueError, struct.error):
                with contextlib.suppress(OSError):
                    self.snapshot_path(off).unlink()
                continue
            self.map_end_offset = off
            return off
        self.producers = {}
        return None

    def replay(
        self, batches: Iterable[tuple[BatchHeader, memoryview | None]]
    ) -> list[CompletedTxn]:
        """Fold in batches read back from the log (no validation); returns closed txns."""
        completed: list[CompletedTxn] = []
        for h, data in batches:
            self.map_end_offset = h.next_offset
            if h.producer_id < 0:
                continue
            append = ProducerAppend(self)
            append.check_markers = False
            append.add(h, h.base_offset, data, client=False)
            self.producers.update(append.entries)
            completed.extend(append.completed)
        return completed


def _read_snapshot(data: bytes) -> dict[int, ProducerEntry]:
    version, crc, count = _SNAP_HEAD.unpack_from(data, 0)
    if version != 1 or crc32c.crc32c(data[6:]) != crc:
        raise ValueError("bad producer snapshot")
    if len(data) != _SNAP_HEAD.size + count * _SNAP_ENTRY.size:
        raise ValueError("bad producer snapshot length")
    out: dict[int, ProducerEntry] = {}
    for i in range(count):
        pid, epoch, last_seq, last_off, delta, ts, coord, txn_first = _SNAP_ENTRY.unpack_from(
            data, _SNAP_HEAD.size + i * _SNAP_ENTRY.size
        )
        e = ProducerEntry(pid, epoch, coordinator_epoch=coord, last_timestamp=ts)
        e.txn_first_offset = txn_first
        if last_off >= 0:
            first_seq = (last_seq - delta) % SEQ_MODULO
            e.batches.append(BatchMetadata(first_seq, last_seq, last_off - delta, last_off, ts))
        out[pid] = e
    return out


__all__ = [
    "HEADER_SIZE",
    "BatchMetadata",
    "CompletedTxn",
    "ProducerAppend",
    "ProducerEntry",
    "ProducerStateManager",
    "control_type",
]
