"""A coordinator partition on a storage :class:`~odradek.storage.log.Log`.

``append`` builds one uncompressed v2 batch of the records (timestamped ``now``) and appends it as
leader: once it returns, the bytes are in the log (in the page cache, so they survive a process
kill; fsync follows the topic's flush policy). ``read_from`` walks whole batches with
``Log.read`` and decodes their records, skipping control batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from odradek.coordinator.runtime import Record
from odradek.records.batch import read_header
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.record import iter_records
from odradek.storage.log import Log

_READ_BYTES = 1 << 20


class LogPartition:
    """PartitionWriter and PartitionReader over one partition's log."""

    def __init__(self, log: Log, on_append: Callable[[], None] | None = None) -> None:
        self.log = log
        self.on_append = on_append

    def append(self, records: list[Record], now_ms: int) -> int:
        batch = build_batch([SimpleRecord(k, v) for k, v in records], timestamp=now_ms)
        info = self.log.append_as_leader(memoryview(bytearray(batch)), now_ms)
        if self.on_append is not None:
            self.on_append()
        return info.last_offset

    def read_from(self, offset: int) -> Iterator[tuple[int, bytes | None, bytes | None]]:
        pos = max(offset, self.log.log_start_offset)
        while pos < self.log.log_end_offset:
            data = self.log.read(pos, _READ_BYTES)
            if not data.buffers:
                return
            for buf in data.buffers:
                header = read_header(buf, 0)
                if not header.is_control:
                    for rec in iter_records(buf):
                        if rec.offset >= pos:
                            yield rec.offset, rec.key, rec.value
                pos = max(pos, header.next_offset)
