"""The v2 record batch header (magic 2): a zero-copy view, validation and in-place rewrites.

Layout (61 bytes, big-endian)::

    baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 | crc u32 |
    attributes i16 | lastOffsetDelta i32 | baseTimestamp i64 | maxTimestamp i64 |
    producerId i64 | producerEpoch i16 | baseSequence i32 | recordsCount i32

``batchLength`` counts the bytes after itself, so a batch occupies ``12 + batchLength`` bytes.
The CRC32C covers ``attributes`` to the end of the batch; baseOffset and partitionLeaderEpoch
are outside it, which is why a broker can assign them in place without recomputing the CRC.

Attributes: bits 0-2 compression codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd), bit 3
timestamp type (1 = LogAppendTime), bit 4 transactional, bit 5 control, bit 6 delete horizon.
Nothing here allocates per record.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import crc32c

from odradek.common.errors import ErrorCode, KafkaError

HEADER = struct.Struct(">qiibIhiqqqhii")
HEADER_SIZE = HEADER.size  # 61
LOG_OVERHEAD = 12  # baseOffset + batchLength
MAGIC_V2 = 2
NO_TIMESTAMP = -1
NO_PRODUCER_ID = -1

BASE_OFFSET_POS = 0
LENGTH_POS = 8
PARTITION_LEADER_EPOCH_POS = 12
MAGIC_POS = 16
CRC_POS = 17
ATTRIBUTES_POS = 21
LAST_OFFSET_DELTA_POS = 23
BASE_TIMESTAMP_POS = 27
MAX_TIMESTAMP_POS = 35
RECORDS_COUNT_POS = 57

COMPRESSION_MASK = 0x07
TIMESTAMP_TYPE_MASK = 0x08
TRANSACTIONAL_MASK = 0x10
CONTROL_MASK = 0x20
DELETE_HORIZON_MASK = 0x40

_I64 = struct.Struct(">q")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_I16 = struct.Struct(">h")
_OFFSET_LENGTH = struct.Struct(">qi")
_LENGTH_AND_MAGIC = struct.Struct(">qiib")

# Smallest legal batchLength: the header after baseOffset/batchLength, no records.
MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD
# Smallest v0 message (crc, magic, attributes, key and value lengths): below it, no format fits.
LEGACY_MIN_LENGTH = 14


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """The decoded 61-byte header of one v2 batch."""

    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        """Total bytes of the batch on the wire / on disk."""
        return LOG_OVERHEAD + self.batch_length

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def compression(self) -> int:
        return self.attributes & COMPRESSION_MASK

    @property
    def log_append_time(self) -> bool:
        return bool(self.attributes & TIMESTAMP_TYPE_MASK)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_MASK)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_MASK)


def read_header(buf: memoryview | bytes | bytearray, pos: int = 0) -> BatchHeader:
    """Decode the header at ``pos``; the caller guarantees 61 bytes are present."""
    return BatchHeader(*HEADER.unpack_from(buf, pos))


def batch_size_at(buf: memoryview | bytes | bytearray, pos: int) -> int:
    """Size of the batch starting at ``pos`` per its length field (needs 12 bytes)."""
    return LOG_OVERHEAD + int(_OFFSET_LENGTH.unpack_from(buf, pos)[1])


def iter_batches(buf: memoryview | bytes | bytearray) -> Iterator[tuple[int, BatchHeader]]:
    """Yield ``(position, header)`` for each complete batch; stop cleanly at a partial one.

    A length field that is too small to hold a header also ends the iteration: what follows
    cannot be framed. Callers that must reject such input compare the consumed size.
    """
    pos = 0
    end = len(buf)
    while end - pos >= HEADER_SIZE:
        h = BatchHeader(*HEADER.unpack_from(buf, pos))
        if h.batch_length < MIN_BATCH_LENGTH or pos + h.size > end:
            return
        yield pos, h
        pos += h.size


def compute_crc(buf: memoryview | bytes | bytearray, pos: int, size: int) -> int:
    """CRC32C of the batch at ``pos`` (``size`` bytes), attributes to end."""
    view = memoryview(buf)
    return int(crc32c.crc32c(view[pos + ATTRIBUTES_POS : pos + size]))


def validate_batch(buf: memoryview | bytes | bytearray, pos: int, available: int) -> BatchHeader:
    """Check magic, length and CRC of the batch at ``pos``; ``available`` bytes follow ``pos``.

    Raises KafkaError(UNSUPPORTED_FOR_MESSAGE_FORMAT) for magic 0/1 and
    KafkaError(CORRUPT_MESSAGE) for a bad length or CRC.
    """
    if available < LOG_OVERHEAD + 5:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "truncated record batch")
    _, length, _, magic = _LENGTH_AND_MAGIC.unpack_from(buf, pos)
    if length < LEGACY_MIN_LENGTH:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"record batch length {length} is too small")
    if magic != MAGIC_V2:
        if magic in (0, 1):
            raise KafkaError(
                ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
                f"message format v{magic} is not supported; use record batch v2",
            )
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"unknown magic {magic}")
    if available < HEADER_SIZE or length < MIN_BATCH_LENGTH:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"record batch length {length} is too small")
    if LOG_OVERHEAD + length > available:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "record batch is truncated")
    h = read_header(buf, pos)
    if compute_crc(buf, pos, h.size) != h.crc:
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"record batch at {h.base_offset}: bad CRC")
    return h


def set_base_offset(buf: memoryview | bytearray, pos: int, offset: int) -> None:
    """Assign the batch's base offset in place (outside the CRC)."""
    _I64.pack_into(buf, pos + BASE_OFFSET_POS, offset)


def set_partition_leader_epoch(buf: memoryview | bytearray, pos: int, epoch: int) -> None:
    """Stamp the partition leader epoch in place (outside the CRC)."""
    _I32.pack_into(buf, pos + PARTITION_LEADER_EPOCH_POS, epoch)


def set_log_append_time(buf: memoryview | bytearray, pos: int, size: int, now_ms: int) -> None:
    """Set maxTimestamp = now and the LogAppendTime attribute bit, then recompute the CRC."""
    attrs = int(_I16.unpack_from(buf, pos + ATTRIBUTES_POS)[0])
    _I16.pack_into(buf, pos + ATTRIBUTES_POS, attrs | TIMESTAMP_TYPE_MASK)
    _I64.pack_into(buf, pos + MAX_TIMESTAMP_POS, now_ms)
    _U32.pack_into(buf, pos + CRC_POS, compute_crc(buf, pos, size))
