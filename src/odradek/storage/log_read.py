"""The read side of Log: fetch ranges, ListOffsets by timestamp and max timestamp.

Fetch reads whole batches: the offset index and a header walk locate the first batch whose
last offset >= the start offset (so the first batch may begin before it), then one
``os.pread`` per segment covers up to ``max_bytes``; batches are cut at whole-batch
boundaries. Only ListOffsets decodes records (to be precise to the record, as Kafka is).
"""

from __future__ import annotations

import bisect

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.record import iter_records
from odradek.storage.results import FetchData
from odradek.storage.segment import LogSegment


class LogReadMixin:
    _segments: list[LogSegment]
    _bases: list[int]
    _log_start: int
    _leo: int
    _hw: int

    def read(
        self,
        start_offset: int,
        max_bytes: int,
        max_offset: int | None = None,
        min_one_message: bool = True,
    ) -> FetchData:
        """Whole batches from ``start_offset``; see the module docstring."""
        if start_offset < self._log_start or start_offset > self._leo:
            raise KafkaError(
                ErrorCode.OFFSET_OUT_OF_RANGE,
                f"offset {start_offset} not in [{self._log_start}, {self._leo}]",
            )
        buffers: list[bytes | memoryview] = []
        total = 0
        if start_offset < self._leo and (max_offset is None or start_offset < max_offset):
            i = max(0, bisect.bisect_right(self._bases, start_offset) - 1)
            while i < len(self._segments) and (total < max_bytes or not buffers):
                seg = self._segments[i]
                i += 1
                if buffers:
                    pos = 0
                else:
                    found = seg.translate_offset(start_offset)
                    if found is None:
                        continue
                    pos = found[0]
                bufs, n, at_end = seg.read(
                    pos, max_bytes - total, max_offset, min_one_message and not buffers
                )
                buffers.extend(bufs)
                total += n
                if not at_end:
                    break
        return FetchData(buffers, total, self._hw, self._log_start, self._leo)

    def offset_for_timestamp(self, ts: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record with timestamp >= ``ts`` (ListOffsets)."""
        for seg in list(self._segments):
            if seg.max_timestamp < ts or seg.next_offset <= self._log_start:
                continue
            _, start = seg.offset_index.lookup(seg.time_index.lookup_before(ts))
            for pos, h in seg.scan(start):
                if h.max_timestamp < ts or h.last_offset < self._log_start:
                    continue
                for rec in iter_records(seg.read_batch(pos, h.size)):
                    if rec.timestamp >= ts and rec.offset >= self._log_start:
                        return rec.offset, rec.timestamp
        return None

    def max_timestamp_offset(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the record with the largest timestamp (ListOffsets -3)."""
        best: LogSegment | None = None
        for seg in self._segments:
            if seg.size and (best is None or seg.max_timestamp > best.max_timestamp):
                best = seg
        if best is None or best.max_timestamp < 0:
            return None
        found = best.translate_offset(best.offset_of_max_timestamp)
        if found is not None:
            pos, h = found
            for rec in iter_records(best.read_batch(pos, h.size)):
                if rec.timestamp == best.max_timestamp:
                    return rec.offset, rec.timestamp
        return best.offset_of_max_timestamp, best.max_timestamp
