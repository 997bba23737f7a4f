"""A coordinator partition on a storage :class:`~odradek.storage.log.Log`.

``append`` builds one uncompressed v2 batch of the records (timestamped ``now``) and appends it as
leader: once it returns, the bytes are in the log (in the page cache, so they survive a process
kill; fsync follows the topic's flush policy). A ``producer`` (id, epoch) makes it a
transactional batch (TxnOffsetCommit), appended as the coordinator (no sequence checks).

``read_from`` walks whole batches with ``Log.read`` and decodes their records. Without ``txn``
it yields every non-control record. With a :class:`~odradek.coordinator.runtime.TxnAwareMachine`
it yields only non-transactional records and hands transactional records and COMMIT/ABORT
markers to the machine in log order (the generator calls it between two yielded records).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

from odradek.coordinator.runtime import Producer, Record, TxnAwareMachine
from odradek.records.batch import read_header
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.record import iter_records
from odradek.storage.log import Log

_READ_BYTES = 1 << 20
_MARKER_KEY = struct.Struct(">hh")
Entry = tuple[int, bytes | None, bytes | None]


def build_records(records: list[Record], now_ms: int, producer: Producer | None) -> bytes:
    simple = [SimpleRecord(k, v) for k, v in records]
    if producer is None:
        return build_batch(simple, timestamp=now_ms)
    return build_batch(
        simple,
        timestamp=now_ms,
        producer_id=producer[0],
        producer_epoch=producer[1],
        transactional=True,
    )


class LogPartition:
    """PartitionWriter and PartitionReader over one partition's log."""

    reads_transactions = True

    def __init__(self, log: Log, on_append: Callable[[], None] | None = None) -> None:
        self.log = log
        self.on_append = on_append

    def append(self, records: list[Record], now_ms: int, producer: Producer | None = None) -> int:
        batch = build_records(records, now_ms, producer)
        info = self.log.append_as_leader(
            memoryview(bytearray(batch)), now_ms, from_client=producer is None
        )
        if self.on_append is not None:
            self.on_append()
        return info.last_offset

    def read_from(self, offset: int, txn: TxnAwareMachine | None = None) -> Iterator[Entry]:
        pos = max(offset, self.log.log_start_offset)
        while pos < self.log.log_end_offset:
            data = self.log.read(pos, _READ_BYTES)
            if not data.buffers:
                return
            for buf in data.buffers:
                header = read_header(buf, 0)
                records = [r for r in iter_records(buf) if r.offset >= pos]
                pos = max(pos, header.next_offset)
                if txn is not None and header.is_control:
                    for rec in records:
                        if rec.key is not None and len(rec.key) >= 4:
                            commit = _MARKER_KEY.unpack_from(rec.key)[1] == 1
                            txn.replay_marker(rec.offset, header.producer_id, commit)
                elif txn is not None and header.is_transactional:
                    for rec in records:
                        txn.replay_txn(rec.offset, header.producer_id, rec.key, rec.value)
                elif not header.is_control:
                    for rec in records:
                        yield rec.offset, rec.key, rec.value
