"""Records inside a v2 batch: zig-zag varints and record decoding/encoding.

Record layout (after the batch is decompressed)::

    length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
    keyLength varint | key | valueLength varint | value |
    headerCount varint | [headerKeyLength varint | headerKey | headerValueLength varint | value]*

A length of -1 encodes null. Decoding creates one object per record, so it is for tools,
compaction and tests — never the produce path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import HEADER_SIZE, BatchHeader, read_header
from odradek.records.compression import decompress

Header = tuple[str, bytes | None]


@dataclass(frozen=True, slots=True)
class Record:
    """One decoded record with its absolute offset and effective timestamp."""

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...] = ()


def encode_varint(value: int, out: bytearray) -> None:
    """Append the zig-zag varint encoding of a signed 64-bit ``value`` to ``out``."""
    v = ((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def decode_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Decode a zig-zag varint at ``pos``; return ``(value, new_pos)``."""
    shift = 0
    result = 0
    try:
        while True:
            b = buf[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 63:
                raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "varint too long")
    except IndexError as exc:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "truncated varint") from exc
    return (result >> 1) ^ -(result & 1), pos


def _read_bytes(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    n, pos = decode_varint(buf, pos)
    if n < 0:
        return None, pos
    if pos + n > len(buf):
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record field runs past its batch")
    return buf[pos : pos + n], pos + n


def decode_record(buf: bytes, pos: int, h: BatchHeader) -> tuple[Record, int]:
    """Decode one record at ``pos`` of the (decompressed) records section."""
    length, pos = decode_varint(buf, pos)
    end = pos + length
    if length < 0 or end > len(buf):
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "bad record length")
    pos += 1  # attributes, unused
    ts_delta, pos = decode_varint(buf, pos)
    off_delta, pos = decode_varint(buf, pos)
    key, pos = _read_bytes(buf, pos)
    value, pos = _read_bytes(buf, pos)
    count, pos = decode_varint(buf, pos)
    headers: list[Header] = []
    for _ in range(count):
        hk, pos = _read_bytes(buf, pos)
        hv, pos = _read_bytes(buf, pos)
        headers.append(((hk or b"").decode("utf-8", "replace"), hv))
    if pos != end:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record length mismatch")
    ts = h.max_timestamp if h.log_append_time else h.base_timestamp + ts_delta
    return Record(h.base_offset + off_delta, ts, key, value, tuple(headers)), end


def _header(batch: bytes | memoryview) -> BatchHeader:
    if len(batch) < HEADER_SIZE:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record batch shorter than its header")
    h = read_header(batch, 0)
    if h.size > len(batch) or h.batch_length < HEADER_SIZE - 12:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record batch length does not fit")
    return h


def records_section(batch: bytes | memoryview) -> bytes:
    """The decompressed records section of one whole batch."""
    h = _header(batch)
    body = memoryview(batch)[HEADER_SIZE : h.size]
    return decompress(h.compression, body)


def iter_records(batch: bytes | memoryview) -> Iterator[Record]:
    """Decode every record of one whole batch (header included), decompressing first."""
    h = _header(batch)
    data = records_section(batch)
    pos = 0
    for _ in range(h.records_count):
        rec, pos = decode_record(data, pos, h)
        yield rec
    if pos != len(data):
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "trailing bytes after the last record")
