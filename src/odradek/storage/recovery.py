"""Segment recovery: validate batch by batch, rebuild indexes, truncate an invalid tail.

Used for unclean starts (no clean-shutdown marker) on every segment from the recovery point
on, and for any segment whose index files are missing or fail their sanity check.

What counts as invalid (the first one ends the valid prefix): fewer than a header's worth of
bytes left, a batch length too small or running past the end of the file (a torn write or a
preallocated zero tail), magic other than 2, a CRC32C mismatch, or offsets that do not
increase (base offset below the previous batch's next offset). Everything from that position
on is truncated, as Kafka's ``LogSegment.recover`` does; the caller (``Log`` loading) then
deletes every later segment, because offsets after a hole cannot be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

from odradek.common.errors import KafkaError
from odradek.records.batch import LOG_OVERHEAD, MIN_BATCH_LENGTH, batch_size_at, validate_batch
from odradek.storage.segment import LogSegment

READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RecoveryResult:
    valid_bytes: int
    truncated_bytes: int
    reason: str


def recover_segment(seg: LogSegment) -> RecoveryResult:
    """Re-validate ``seg`` from its first byte, rebuild its indexes, cut an invalid tail."""
    seg.reset_indexes()
    seg.unflushed = True
    pos = 0
    reason = ""
    size = seg.size
    chunk = b""
    chunk_pos = 0
    while pos < size:
        if size - pos < LOG_OVERHEAD:
            reason = f"partial batch header at position {pos}"
            break
        if pos + LOG_OVERHEAD > chunk_pos + len(chunk):
            chunk, chunk_pos = seg.pread(min(READ_CHUNK, size - pos), pos), pos
        bsize = batch_size_at(chunk, pos - chunk_pos)
        if bsize < LOG_OVERHEAD + MIN_BATCH_LENGTH or pos + bsize > size:
            reason = f"invalid batch length {bsize - LOG_OVERHEAD} at position {pos}"
            break
        if pos + bsize > chunk_pos + len(chunk):
            chunk, chunk_pos = seg.pread(max(READ_CHUNK, bsize), pos), pos
        try:
            h = validate_batch(chunk, pos - chunk_pos, len(chunk) - (pos - chunk_pos))
        except KafkaError as exc:
            reason = f"{exc} at position {pos}"
            break
        if h.base_offset < seg.next_offset or h.last_offset_delta < 0:
            reason = f"offset {h.base_offset} out of order at position {pos}"
            break
        seg.index_batch(pos, h)
        pos += bsize
    truncated = 0
    if pos < size:
        truncated = seg.truncate_to_position(pos)
    return RecoveryResult(pos, truncated, reason)
