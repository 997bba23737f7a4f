"""Validation of the record batches of one produce (or replication) request.

Per batch, header only plus one CRC32C over the bytes (no per-record work): magic 2
(else UNSUPPORTED_FOR_MESSAGE_FORMAT), a sane length that fits the request and a matching CRC
(else CORRUPT_MESSAGE), size within ``max.message.bytes`` (else MESSAGE_TOO_LARGE) and, for
leader appends, at least one record (a follower may copy the empty batches the cleaner keeps
for live producers) and ``lastOffsetDelta == recordsCount - 1`` (else
INVALID_RECORD). On a compacted topic every record of a leader append needs a key (else
INVALID_RECORD); that check decodes records, so it only runs when ``compact`` is in
``cleanup.policy``. Trailing bytes that do not form a whole batch are CORRUPT_MESSAGE. The whole
request is checked before anything is written.
"""

from __future__ import annotations

from odradek.common.config import LogConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import BatchHeader, validate_batch
from odradek.records.record import iter_records


def validate_request(
    view: memoryview, config: LogConfig, *, leader: bool
) -> list[tuple[int, BatchHeader]]:
    """Return ``(position, header)`` of every batch, or raise KafkaError."""
    out: list[tuple[int, BatchHeader]] = []
    pos = 0
    end = len(view)
    while pos < end:
        h = validate_batch(view, pos, end - pos)
        if h.size > config.max_message_bytes:
            raise KafkaError(
                ErrorCode.MESSAGE_TOO_LARGE,
                f"batch of {h.size} bytes exceeds max.message.bytes {config.max_message_bytes}",
            )
        if h.records_count <= 0 and leader:
            raise KafkaError(ErrorCode.INVALID_RECORD, "record batch without records")
        if h.last_offset_delta < 0 or (leader and h.last_offset_delta != h.records_count - 1):
            raise KafkaError(
                ErrorCode.INVALID_RECORD,
                f"lastOffsetDelta {h.last_offset_delta} does not match {h.records_count} records",
            )
        if leader and not h.is_control and "compact" in config.cleanup_policy:
            _check_keys(view[pos : pos + h.size])
        out.append((pos, h))
        pos += h.size
    return out


def _check_keys(batch: memoryview) -> None:
    for rec in iter_records(batch):
        if rec.key is None:
            raise KafkaError(
                ErrorCode.INVALID_RECORD, "Compacted topic cannot accept message without key"
            )
