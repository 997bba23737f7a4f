"""Compression codecs of record batches, backed by ``cramjam``.

Codec ids are Kafka's attribute values: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
Snappy decodes both raw blocks (what librdkafka sends) and the xerial framing (what Kafka's
Java client sends: ``\\x82SNAPPY\\x00`` header, then ``[i32 length][raw block]``
chunks); it encodes raw blocks, or the xerial framing through ``compress_like`` when the
input being rewritten was xerial (the log cleaner). LZ4 uses the LZ4 frame format, as Kafka
does since KIP-57, with independent blocks and no content checksum (Java's reader rejects
linked blocks). zstd frames are decoded in streaming mode, so a frame without a content-size
header (what streaming encoders write) decodes too.
Used by the builder, tools, the log cleaner and tests, never on the produce path.
"""

from __future__ import annotations

import struct
from enum import IntEnum

import cramjam

from odradek.common.errors import ErrorCode, KafkaError


class Codec(IntEnum):
    NONE = 0
    GZIP = 1
    SNAPPY = 2
    LZ4 = 3
    ZSTD = 4


CODEC_NAMES = {
    "none": Codec.NONE,
    "uncompressed": Codec.NONE,
    "gzip": Codec.GZIP,
    "snappy": Codec.SNAPPY,
    "lz4": Codec.LZ4,
    "zstd": Codec.ZSTD,
}

XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER = struct.Struct(">8sii")
_I32 = struct.Struct(">i")


def compress(codec: int, data: bytes | memoryview) -> bytes:
    """Compress ``data`` with the Kafka codec id ``codec``."""
    if codec == Codec.NONE:
        return bytes(data)
    if codec == Codec.GZIP:
        return bytes(cramjam.gzip.compress(data))
    if codec == Codec.SNAPPY:
        return bytes(cramjam.snappy.compress_raw(data))
    if codec == Codec.LZ4:
        return _lz4_frame(data)
    if codec == Codec.ZSTD:
        return bytes(cramjam.zstd.compress(data))
    raise KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, f"unknown codec {codec}")


def compress_like(codec: int, data: bytes | memoryview, original: bytes | memoryview) -> bytes:
    """Compress ``data`` as ``original`` (a compressed records section) was: same codec and,
    for snappy, the same framing (xerial if the original was xerial, else raw blocks)."""
    if codec == Codec.SNAPPY and bytes(original[: len(XERIAL_MAGIC)]) == XERIAL_MAGIC:
        return xerial_snappy_compress(bytes(data))
    return compress(codec, data)


def _lz4_frame(data: bytes | memoryview) -> bytes:
    """An LZ4 frame with independent 64 KB blocks and no content checksum."""
    c = cramjam.lz4.Compressor(content_checksum=False, block_linked=False)
    c.compress(bytes(data))
    return bytes(c.finish())


def decompress(codec: int, data: bytes | memoryview) -> bytes:
    """Decompress ``data``; corrupt input raises KafkaError(CORRUPT_MESSAGE)."""
    try:
        if codec == Codec.NONE:
            return bytes(data)
        if codec == Codec.GZIP:
            return bytes(cramjam.gzip.decompress(data))
        if codec == Codec.SNAPPY:
            return _snappy_decompress(bytes(data))
        if codec == Codec.LZ4:
            return bytes(cramjam.lz4.decompress(data))
        if codec == Codec.ZSTD:
            return bytes(cramjam.zstd.decompress(data))
    except KafkaError:
        raise
    except Exception as exc:  # cramjam raises its own DecompressionError
        raise KafkaError(ErrorCode.CORRUPT_MESSAGE, f"cannot decompress: {exc}") from exc
    raise KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, f"unknown codec {codec}")


def _snappy_decompress(data: bytes) -> bytes:
    if not data.startswith(XERIAL_MAGIC):
        return bytes(cramjam.snappy.decompress_raw(data))
    pos = _XERIAL_HEADER.size
    out: list[bytes] = []
    while pos < len(data):
        if pos + 4 > len(data):
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "truncated xerial snappy chunk")
        (n,) = _I32.unpack_from(data, pos)
        pos += 4
        if n < 0 or pos + n > len(data):
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "bad xerial snappy chunk length")
        out.append(bytes(cramjam.snappy.decompress_raw(data[pos : pos + n])))
        pos += n
    return b"".join(out)


def xerial_snappy_compress(data: bytes, block_size: int = 32 * 1024) -> bytes:
    """Encode with the xerial framing (what Kafka's Java producer sends); for tests/tools."""
    parts = [_XERIAL_HEADER.pack(XERIAL_MAGIC, 1, 1)]
    for i in range(0, len(data), block_size):
        block = bytes(cramjam.snappy.compress_raw(data[i : i + block_size]))
        parts.append(_I32.pack(len(block)))
        parts.append(block)
    return b"".join(parts)
