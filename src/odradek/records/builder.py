"""Build v2 record batches from records, for tests, tools and internal topics.

``build_batch`` lays out the records, compresses the records section with the chosen codec,
fills the 61-byte header (attributes, deltas, producer fields) and computes the CRC32C.
Control batches (transaction markers) are built the same way with ``control=True``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from odradek.records.batch import (
    COMPRESSION_MASK,
    CONTROL_MASK,
    CRC_POS,
    HEADER,
    HEADER_SIZE,
    LOG_OVERHEAD,
    NO_PRODUCER_ID,
    TIMESTAMP_TYPE_MASK,
    TRANSACTIONAL_MASK,
    compute_crc,
)
from odradek.records.compression import compress
from odradek.records.record import Header, encode_varint


@dataclass(frozen=True, slots=True)
class SimpleRecord:
    """A record to be written: key, value, headers and (optionally) its own timestamp."""

    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...] = ()
    timestamp: int | None = None


def _put_bytes(data: bytes | None, out: bytearray) -> None:
    if data is None:
        encode_varint(-1, out)
    else:
        encode_varint(len(data), out)
        out += data


def encode_record(rec: SimpleRecord, offset_delta: int, ts_delta: int, out: bytearray) -> None:
    """Append one encoded record (length-prefixed) to ``out``."""
    body = bytearray(b"\x00")  # attributes
    encode_varint(ts_delta, body)
    encode_varint(offset_delta, body)
    _put_bytes(rec.key, body)
    _put_bytes(rec.value, body)
    encode_varint(len(rec.headers), body)
    for hk, hv in rec.headers:
        _put_bytes(hk.encode(), body)
        _put_bytes(hv, body)
    encode_varint(len(body), out)
    out += body


def build_batch(
    records: Sequence[SimpleRecord],
    *,
    base_offset: int = 0,
    timestamp: int = 0,
    codec: int = 0,
    producer_id: int = NO_PRODUCER_ID,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    partition_leader_epoch: int = -1,
    transactional: bool = False,
    control: bool = False,
    log_append_time: bool = False,
) -> bytes:
    """Encode ``records`` as one v2 batch; ``timestamp`` is used for records without one."""
    if not records:
        raise ValueError("a batch needs at least one record")
    stamps = [timestamp if r.timestamp is None else r.timestamp for r in records]
    base_ts = stamps[0]
    body = bytearray()
    for i, (rec, ts) in enumerate(zip(records, stamps, strict=True)):
        encode_record(rec, i, ts - base_ts, body)
    payload = compress(codec, bytes(body))
    attributes = codec & COMPRESSION_MASK
    if log_append_time:
        attributes |= TIMESTAMP_TYPE_MASK
    if transactional:
        attributes |= TRANSACTIONAL_MASK
    if control:
        attributes |= CONTROL_MASK
    size = HEADER_SIZE + len(payload)
    buf = bytearray(size)
    HEADER.pack_into(
        buf,
        0,
        base_offset,
        size - LOG_OVERHEAD,
        partition_leader_epoch,
        2,
        0,
        attributes,
        len(records) - 1,
        base_ts,
        max(stamps),
        producer_id,
        producer_epoch,
        base_sequence,
        len(records),
    )
    buf[HEADER_SIZE:] = payload
    buf[CRC_POS : CRC_POS + 4] = compute_crc(buf, 0, size).to_bytes(4, "big")
    return bytes(buf)
