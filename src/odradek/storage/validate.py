"""Validation of the record batches of one produce (or replication) request.

Per batch, header only plus one CRC32C over the bytes (no per-record work): magic 2
(else UNSUPPORTED_FOR_MESSAGE_FORMAT), a sane length that fits the request and a matching CRC
(else CORRUPT_MESSAGE), size within ``max.message.bytes`` (else MESSAGE_TOO_LARGE) and, for
leader appends, at least one record (a follower may copy the empty batches the cleaner keeps
for live producers) and ``lastOffsetDelta == recordsCount - 1`` (else
INVALID_RECORD). With ``message.timestamp.type=CreateTime`` and a bound configured
(``message.timestamp.before.max.ms`` / ``after.max.ms``), every record's timestamp must lie in
``[now - before, now + after]`` (else INVALID_TIMESTAMP); the "after" side is read from the batch
header's max timestamp, the "before" side needs the records, so it decodes only when configured.
On a compacted topic every record of a leader append needs a key (else
INVALID_RECORD); that check decodes records, so it only runs when ``compact`` is in
``cleanup.policy``. Trailing bytes that do not form a whole batch are CORRUPT_MESSAGE. The whole
request is checked before anything is written.
"""

from __future__ import annotations

from odradek.common.config import LONG_MAX, LogConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import BatchHeader, validate_batch
from odradek.records.record import iter_records


def validate_request(
    view: memoryview, config: LogConfig, *, leader: bool, now_ms: int | None = None
) -> list[tuple[int, BatchHeader]]:
    """Return ``(position, header)`` of every batch, or raise KafkaError.

    ``now_ms`` enables the CreateTime bounds check (leader appends only)."""
    bounded = (
        leader
        and now_ms is not None
        and config.message_timestamp_type == "CreateTime"
        and (
            config.message_timestamp_before_max_ms < LONG_MAX
            or config.message_timestamp_after_max_ms < LONG_MAX
        )
    )
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
        if bounded and not h.is_control:
            assert now_ms is not None
            _check_timestamps(view[pos : pos + h.size], h, config, now_ms)
        out.append((pos, h))
        pos += h.size
    return out


def _check_keys(batch: memoryview) -> None:
    for rec in iter_records(batch):
        if rec.key is None:
            raise KafkaError(
                ErrorCode.INVALID_RECORD, "Compacted topic cannot accept message without key"
            )


def _check_timestamps(batch: memoryview, h: BatchHeader, config: LogConfig, now_ms: int) -> None:
    lowest = now_ms - config.message_timestamp_before_max_ms
    highest = now_ms + config.message_timestamp_after_max_ms
    if h.max_timestamp > highest:
        _out_of_range(h.max_timestamp, lowest, highest)
    if config.message_timestamp_before_max_ms >= LONG_MAX:
        return
    for rec in iter_records(batch):
        # NO_TIMESTAMP (-1) is not checked, as in Kafka
        if rec.timestamp != -1 and rec.timestamp < lowest:
            _out_of_range(rec.timestamp, lowest, highest)


def _out_of_range(ts: int, lowest: int, highest: int) -> None:
    raise KafkaError(
        ErrorCode.INVALID_TIMESTAMP,
        f"Timestamp {ts} of a record is out of range: it must be within [{lowest}, {highest}]",
    )
