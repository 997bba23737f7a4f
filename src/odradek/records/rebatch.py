"""Re-batching for the log cleaner: walk a batch's records as raw slices, write the kept ones.

``scan_keys`` (for the offset map) returns each record's offset delta and key only;
``scan_raw_records`` decompresses a batch once and returns, per record, its offset and
timestamp deltas, its key, whether its value is null (a tombstone) and the raw bytes after
the timestamp delta — without decoding values or headers. ``rebuild_batch`` writes a new batch
holding a subset of those records and keeps what consumers and producer state rely on: the
base offset and ``lastOffsetDelta`` of the original (offsets never change, and the producer's
sequence range stays the same), producer id/epoch, base sequence, partition leader epoch,
every attribute bit (codec, timestamp type, transactional, control) and, per record, its
offset, timestamp, key, value and headers. The codec is the original's, with the same snappy
framing (see ``compression.compress_like``). ``empty_batch`` keeps only the header.

Delete horizon (KIP-534): the first clean that retains a tombstone or a transaction marker
sets attribute bit 6 and stores ``now + delete.retention.ms`` in ``baseTimestamp``; record
timestamp deltas are re-encoded against it, so every record keeps its timestamp. A later clean
past the horizon may drop those records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import (
    COMPRESSION_MASK,
    CRC_POS,
    DELETE_HORIZON_MASK,
    HEADER,
    HEADER_SIZE,
    LOG_OVERHEAD,
    BatchHeader,
    compute_crc,
    read_header,
)
from odradek.records.compression import compress_like
from odradek.records.record import decode_varint, encode_varint, records_section


class RawRecord(NamedTuple):
    """One record of a batch: deltas, key, tombstone flag and its bytes after ``tsDelta``."""

    offset_delta: int
    timestamp_delta: int
    key: bytes | None
    tombstone: bool
    tail: bytes  # offsetDelta varint .. end of headers, verbatim


def has_delete_horizon(h: BatchHeader) -> bool:
    return bool(h.attributes & DELETE_HORIZON_MASK)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Zig-zag varint at ``pos`` with an inline path for 1- and 2-byte values (most fields)."""
    b = data[pos]
    if b < 0x80:
        return (b >> 1) ^ -(b & 1), pos + 1
    b2 = data[pos + 1] if pos + 1 < len(data) else 0x80
    if b2 < 0x80:
        raw = (b & 0x7F) | (b2 << 7)
        return (raw >> 1) ^ -(raw & 1), pos + 2
    return decode_varint(data, pos)


def scan_raw_records(batch: bytes | memoryview) -> tuple[BatchHeader, list[RawRecord]]:
    """Header and raw records of one whole batch; raises KafkaError(CORRUPT_MESSAGE)."""
    h = read_header(batch, 0)
    data = records_section(batch)
    out: list[RawRecord] = []
    pos = 0
    varint = _varint
    try:
        for _ in range(h.records_count):
            length, pos = varint(data, pos)
            end = pos + length
            if length < 0 or end > len(data):
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "bad record length")
            b = data[pos + 1]
            if b < 0x80:
                ts_delta, p = (b >> 1) ^ -(b & 1), pos + 2
            else:
                ts_delta, p = varint(data, pos + 1)
            tail_start = p
            b = data[p]
            if b < 0x80:
                off_delta, p = (b >> 1) ^ -(b & 1), p + 1
            else:
                off_delta, p = varint(data, p)
            b = data[p]
            if b < 0x80:
                klen, p = (b >> 1) ^ -(b & 1), p + 1
            else:
                klen, p = varint(data, p)
            key = None if klen < 0 else data[p : p + klen]
            p += max(klen, 0)
            if p >= end:
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record fields run past the record")
            tombstone = data[p] == 1  # value length varint 1 is zig-zag -1: a null value
            out.append(RawRecord(off_delta, ts_delta, key, tombstone, data[tail_start:end]))
            pos = end
    except IndexError as exc:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "truncated record") from exc
    if pos != len(data):
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "trailing bytes after the last record")
    return h, out


def scan_keys(batch: bytes | memoryview) -> tuple[BatchHeader, list[tuple[int, bytes | None]]]:
    """``(offset delta, key)`` of each record: the offset map's lighter walk (no values)."""
    h = read_header(batch, 0)
    data = records_section(batch)
    out: list[tuple[int, bytes | None]] = []
    append = out.append
    varint = _varint
    pos = 0
    try:
        for _ in range(h.records_count):
            length, p = varint(data, pos)
            end = p + length
            if length < 0 or end > len(data):
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "bad record length")
            b = data[p + 1]  # attributes skipped; timestamp delta
            p = p + 2 if b < 0x80 else varint(data, p + 1)[1]
            b = data[p]
            if b < 0x80:
                off_delta, p = (b >> 1) ^ -(b & 1), p + 1
            else:
                off_delta, p = varint(data, p)
            b = data[p]
            if b < 0x80:
                klen, p = (b >> 1) ^ -(b & 1), p + 1
            else:
                klen, p = varint(data, p)
            if p + max(klen, 0) > end:
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record key runs past the record")
            append((off_delta, None if klen < 0 else data[p : p + klen]))
            pos = end
    except IndexError as exc:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "truncated record") from exc
    if pos != len(data):
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "trailing bytes after the last record")
    return h, out


def rebuild_batch(
    original: bytes | memoryview,
    h: BatchHeader,
    kept: Sequence[RawRecord],
    delete_horizon: int | None = None,
) -> bytes:
    """A batch of ``kept`` records, shaped like ``original`` (see module doc).

    ``delete_horizon`` sets the KIP-534 horizon on a batch that has none yet. No records
    gives ``empty_batch``.
    """
    if not kept:
        return empty_batch(h)
    attributes = h.attributes
    base_ts = h.base_timestamp
    if delete_horizon is not None and not has_delete_horizon(h):
        attributes |= DELETE_HORIZON_MASK
        base_ts = delete_horizon
    body = bytearray()
    max_ts = -1
    for rec in kept:
        ts = h.base_timestamp + rec.timestamp_delta
        max_ts = max(max_ts, ts)
        inner = bytearray(b"\x00")
        encode_varint(ts - base_ts, inner)
        inner += rec.tail
        encode_varint(len(inner), body)
        body += inner
    if h.log_append_time or h.is_control:
        max_ts = h.max_timestamp
    payload = compress_like(h.compression, bytes(body), memoryview(original)[HEADER_SIZE : h.size])
    size = HEADER_SIZE + len(payload)
    buf = bytearray(size)
    HEADER.pack_into(
        buf,
        0,
        h.base_offset,
        size - LOG_OVERHEAD,
        h.partition_leader_epoch,
        h.magic,
        0,
        attributes,
        h.last_offset_delta,
        base_ts,
        max_ts,
        h.producer_id,
        h.producer_epoch,
        h.base_sequence,
        len(kept),
    )
    buf[HEADER_SIZE:] = payload
    buf[CRC_POS : CRC_POS + 4] = compute_crc(buf, 0, size).to_bytes(4, "big")
    return bytes(buf)


def empty_batch(h: BatchHeader) -> bytes:
    """A header-only batch (no records, uncompressed) covering ``h``'s offsets.

    Kafka keeps one for the last batch of a live idempotent/transactional producer whose
    records were all cleaned away, so the producer's sequence and epoch survive a reload.
    """
    buf = bytearray(HEADER_SIZE)
    HEADER.pack_into(
        buf,
        0,
        h.base_offset,
        HEADER_SIZE - LOG_OVERHEAD,
        h.partition_leader_epoch,
        h.magic,
        0,
        h.attributes & ~COMPRESSION_MASK,
        h.last_offset_delta,
        h.base_timestamp,
        h.max_timestamp,
        h.producer_id,
        h.producer_epoch,
        h.base_sequence,
        0,
    )
    buf[CRC_POS : CRC_POS + 4] = compute_crc(buf, 0, HEADER_SIZE).to_bytes(4, "big")
    return bytes(buf)
