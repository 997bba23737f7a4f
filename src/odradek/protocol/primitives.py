"""Kafka protocol primitive types: fixed-width ints, varints, strings, bytes, arrays, uuids, tags.

Readers take a ``memoryview`` (or any indexable buffer) and an offset and return
``(value, next_offset)``; byte fields come back as memoryview slices of the input (zero copy).
Writers append to a ``bytearray``. Every fixed-width codec is a precompiled ``struct.Struct``
that hand-written message codecs may also use directly (``INT32.unpack_from`` ...).

Encodings (Kafka protocol guide):

* ``STRING``/``BYTES``: int16/int32 length then data; nullable variants use -1 for null.
* ``COMPACT_*``: unsigned varint of ``length + 1`` (0 means null) then data.
* ``ARRAY``: int32 count (-1 null); ``COMPACT_ARRAY``: uvarint ``count + 1``.
* ``VARINT``/``VARLONG``: zigzag-encoded signed varints (record format).
* tagged-field section (flexible versions): uvarint count, then per field uvarint tag,
  uvarint size, data; tags in strictly increasing order.

Malformed or truncated input raises :class:`DecodeError` from the string/bytes/varint readers;
fixed-width readers raise ``struct.error`` which message decoders translate to DecodeError.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping

from odradek.common.errors import ErrorCode, KafkaError

INT8 = struct.Struct(">b")
INT16 = struct.Struct(">h")
INT32 = struct.Struct(">i")
INT64 = struct.Struct(">q")
UINT16 = struct.Struct(">H")
UINT32 = struct.Struct(">I")
BOOL = struct.Struct(">?")
UUID = struct.Struct(">16s")

ZERO_UUID = uuid.UUID(int=0)

_SMALL_UVARINT = [bytes((i,)) for i in range(128)]


class DecodeError(KafkaError):
    """The bytes do not form a valid message of the expected type (the connection is closed)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INVALID_REQUEST, message)


# ----------------------------------------------------------------------------- readers


def read_int8(buf: memoryview, off: int) -> tuple[int, int]:
    return INT8.unpack_from(buf, off)[0], off + 1


def read_int16(buf: memoryview, off: int) -> tuple[int, int]:
    return INT16.unpack_from(buf, off)[0], off + 2


def read_int32(buf: memoryview, off: int) -> tuple[int, int]:
    return INT32.unpack_from(buf, off)[0], off + 4


def read_int64(buf: memoryview, off: int) -> tuple[int, int]:
    return INT64.unpack_from(buf, off)[0], off + 8


def read_bool(buf: memoryview, off: int) -> tuple[bool, int]:
    return BOOL.unpack_from(buf, off)[0], off + 1


def read_uvarint(buf: memoryview, off: int) -> tuple[int, int]:
    """Unsigned LEB128 varint (at most 10 bytes)."""
    try:
        b = buf[off]
        if b < 0x80:
            return b, off + 1
        result = b & 0x7F
        shift = 7
        off += 1
        while shift < 70:
            b = buf[off]
            off += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result, off
            shift += 7
    except IndexError:
        raise DecodeError("truncated varint") from None
    raise DecodeError("varint too long")


def read_varint(buf: memoryview, off: int) -> tuple[int, int]:
    """Signed zigzag varint (also used for varlong: Python ints are unbounded)."""
    n, off = read_uvarint(buf, off)
    return (n >> 1) ^ -(n & 1), off


read_varlong = read_varint


def _check(buf: memoryview, end: int) -> None:
    if end > len(buf):
        raise DecodeError("truncated field")


def read_string(buf: memoryview, off: int) -> tuple[str, int]:
    n = INT16.unpack_from(buf, off)[0]
    if n < 0:
        raise DecodeError("null in non-nullable string")
    off += 2
    end = off + n
    _check(buf, end)
    return str(buf[off:end], "utf-8"), end


def read_nullable_string(buf: memoryview, off: int) -> tuple[str | None, int]:
    n = INT16.unpack_from(buf, off)[0]
    off += 2
    if n < 0:
        return None, off
    end = off + n
    _check(buf, end)
    return str(buf[off:end], "utf-8"), end


def read_compact_string(buf: memoryview, off: int) -> tuple[str, int]:
    n, off = read_uvarint(buf, off)
    if n == 0:
        raise DecodeError("null in non-nullable compact string")
    end = off + n - 1
    _check(buf, end)
    return str(buf[off:end], "utf-8"), end


def read_compact_nullable_string(buf: memoryview, off: int) -> tuple[str | None, int]:
    n, off = read_uvarint(buf, off)
    if n == 0:
        return None, off
    end = off + n - 1
    _check(buf, end)
    return str(buf[off:end], "utf-8"), end


def read_bytes(buf: memoryview, off: int) -> tuple[memoryview, int]:
    n = INT32.unpack_from(buf, off)[0]
    if n < 0:
        raise DecodeError("null in non-nullable bytes")
    off += 4
    end = off + n
    _check(buf, end)
    return buf[off:end], end


def read_nullable_bytes(buf: memoryview, off: int) -> tuple[memoryview | None, int]:
    n = INT32.unpack_from(buf, off)[0]
    off += 4
    if n < 0:
        return None, off
    end = off + n
    _check(buf, end)
    return buf[off:end], end


def read_compact_bytes(buf: memoryview, off: int) -> tuple[memoryview, int]:
    n, off = read_uvarint(buf, off)
    if n == 0:
        raise DecodeError("null in non-nullable compact bytes")
    end = off + n - 1
    _check(buf, end)
    return buf[off:end], end


def read_compact_nullable_bytes(buf: memoryview, off: int) -> tuple[memoryview | None, int]:
    n, off = read_uvarint(buf, off)
    if n == 0:
        return None, off
    end = off + n - 1
    _check(buf, end)
    return buf[off:end], end


def read_array_len(buf: memoryview, off: int) -> tuple[int, int]:
    """Classic array count; -1 means null."""
    n = INT32.unpack_from(buf, off)[0]
    if n < -1:
        raise DecodeError("negative array length")
    return n, off + 4


def read_compact_array_len(buf: memoryview, off: int) -> tuple[int, int]:
    """Compact array count; -1 means null."""
    n, off = read_uvarint(buf, off)
    return n - 1, off


def read_uuid(buf: memoryview, off: int) -> tuple[uuid.UUID, int]:
    return uuid.UUID(bytes=UUID.unpack_from(buf, off)[0]), off + 16


def skip_tagged_fields(buf: memoryview, off: int) -> int:
    """Skip a tagged-field section, returning the offset after it."""
    try:
        if buf[off] == 0:  # the common case: no tags
            return off + 1
    except IndexError:
        raise DecodeError("missing tagged fields") from None
    count, off = read_uvarint(buf, off)
    for _ in range(count):
        _tag, off = read_uvarint(buf, off)
        size, off = read_uvarint(buf, off)
        off += size
    _check(buf, off)
    return off


def read_tagged_fields(buf: memoryview, off: int) -> tuple[dict[int, memoryview], int]:
    """Read a tagged-field section into ``{tag: raw value bytes}``."""
    count, off = read_uvarint(buf, off)
    tags: dict[int, memoryview] = {}
    for _ in range(count):
        tag, off = read_uvarint(buf, off)
        size, off = read_uvarint(buf, off)
        end = off + size
        _check(buf, end)
        tags[tag] = buf[off:end]
        off = end
    return tags, off


# ----------------------------------------------------------------------------- writers


def uvarint(value: int) -> bytes:
    """Encode an unsigned varint."""
    if value < 0x80:
        if value < 0:
            raise ValueError("uvarint must be non-negative")
        return _SMALL_UVARINT[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def varint(value: int) -> bytes:
    """Encode a signed 32-bit zigzag varint."""
    return uvarint(((value << 1) ^ (value >> 31)) & 0xFFFFFFFF)


def varlong(value: int) -> bytes:
    """Encode a signed 64-bit zigzag varlong."""
    return uvarint(((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF)


def write_int8(out: bytearray, value: int) -> None:
    out += INT8.pack(value)


def write_int16(out: bytearray, value: int) -> None:
    out += INT16.pack(value)


def write_int32(out: bytearray, value: int) -> None:
    out += INT32.pack(value)


def write_int64(out: bytearray, value: int) -> None:
    out += INT64.pack(value)


def write_bool(out: bytearray, value: bool) -> None:
    out.append(1 if value else 0)


def write_uvarint(out: bytearray, value: int) -> None:
    out += uvarint(value)


def write_uuid(out: bytearray, value: uuid.UUID | None) -> None:
    out += value.bytes if value is not None else ZERO_UUID.bytes


def write_string(out: bytearray, value: str | None, compact: bool = False) -> None:
    """STRING / NULLABLE_STRING, or their compact forms when ``compact``; None means null."""
    if value is None:
        out += b"\x00" if compact else b"\xff\xff"
        return
    data = value.encode()
    if compact:
        out += uvarint(len(data) + 1)
    else:
        out += INT16.pack(len(data))
    out += data


def write_bytes(out: bytearray, value: bytes | memoryview | None, compact: bool = False) -> None:
    """BYTES / NULLABLE_BYTES, or their compact forms when ``compact``; None means null."""
    if value is None:
        out += b"\x00" if compact else b"\xff\xff\xff\xff"
        return
    if compact:
        out += uvarint(len(value) + 1)
    else:
        out += INT32.pack(len(value))
    out += value


def write_array_len(out: bytearray, count: int, compact: bool = False) -> None:
    """Array count prefix; -1 means a null array."""
    if compact:
        out += uvarint(count + 1)
    else:
        out += INT32.pack(count)


def write_tagged_fields(out: bytearray, fields: Mapping[int, bytes] | None = None) -> None:
    """Write a tagged-field section: empty, or the given raw tag values in tag order."""
    if not fields:
        out.append(0)
        return
    out += uvarint(len(fields))
    for tag in sorted(fields):
        data = fields[tag]
        out += uvarint(tag)
        out += uvarint(len(data))
        out += data
