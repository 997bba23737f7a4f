"""Record batch v2: header view, CRC validation, in-place rewrites, codec round trips."""

from __future__ import annotations

import struct

import pytest

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import (
    HEADER_SIZE,
    iter_batches,
    read_header,
    set_base_offset,
    set_log_append_time,
    set_partition_leader_epoch,
    validate_batch,
)
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.compression import Codec, decompress, xerial_snappy_compress
from odradek.records.record import decode_varint, encode_varint, iter_records

RECORDS = [
    SimpleRecord(b"key-1", b"value-1" * 20, (("h1", b"x"), ("h2", None)), 1_000),
    SimpleRecord(None, b"v2", (), 1_005),
    SimpleRecord(b"k3", None, (), 999),
]


@pytest.mark.parametrize("codec", list(Codec))
def test_builder_parser_round_trip(codec: Codec) -> None:
    raw = build_batch(
        RECORDS, base_offset=42, codec=codec, producer_id=7, producer_epoch=1, base_sequence=5
    )
    h = validate_batch(raw, 0, len(raw))
    assert h.size == len(raw)
    assert h.compression == codec
    assert (h.base_offset, h.last_offset, h.records_count) == (42, 44, 3)
    assert (h.base_timestamp, h.max_timestamp) == (1_000, 1_005)
    assert (h.producer_id, h.producer_epoch, h.base_sequence) == (7, 1, 5)
    recs = list(iter_records(raw))
    assert [r.offset for r in recs] == [42, 43, 44]
    assert [r.timestamp for r in recs] == [1_000, 1_005, 999]
    assert [(r.key, r.value, r.headers) for r in recs] == [
        (x.key, x.value, x.headers) for x in RECORDS
    ]


def test_attribute_flags() -> None:
    raw = build_batch(RECORDS[:1], transactional=True, control=True, producer_id=3)
    h = read_header(raw)
    assert h.is_transactional and h.is_control and not h.log_append_time


def test_crc_mismatch_is_corrupt_message() -> None:
    raw = bytearray(build_batch(RECORDS))
    raw[-1] ^= 0xFF
    with pytest.raises(KafkaError) as e:
        validate_batch(raw, 0, len(raw))
    assert e.value.code == ErrorCode.CORRUPT_MESSAGE


def test_truncated_and_bad_length_are_corrupt() -> None:
    raw = build_batch(RECORDS)
    with pytest.raises(KafkaError) as e:
        validate_batch(raw[:-3], 0, len(raw) - 3)
    assert e.value.code == ErrorCode.CORRUPT_MESSAGE
    bad = bytearray(raw)
    struct.pack_into(">i", bad, 8, 10)
    with pytest.raises(KafkaError) as e:
        validate_batch(bad, 0, len(bad))
    assert e.value.code == ErrorCode.CORRUPT_MESSAGE


@pytest.mark.parametrize("magic", [0, 1])
def test_old_magic_is_unsupported(magic: int) -> None:
    raw = bytearray(build_batch(RECORDS))
    raw[16] = magic
    with pytest.raises(KafkaError) as e:
        validate_batch(raw, 0, len(raw))
    assert e.value.code == ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT


def test_in_place_offset_and_epoch_keep_crc_valid() -> None:
    raw = bytearray(build_batch(RECORDS))
    set_base_offset(raw, 0, 1234)
    set_partition_leader_epoch(raw, 0, 9)
    h = validate_batch(raw, 0, len(raw))
    assert (h.base_offset, h.partition_leader_epoch) == (1234, 9)


def test_log_append_time_rewrites_crc_and_record_timestamps() -> None:
    raw = bytearray(build_batch(RECORDS, codec=Codec.LZ4))
    set_log_append_time(raw, 0, len(raw), 5_555)
    h = validate_batch(raw, 0, len(raw))
    assert h.log_append_time and h.max_timestamp == 5_555
    assert {r.timestamp for r in iter_records(bytes(raw))} == {5_555}


def test_iter_batches_stops_at_partial_batch() -> None:
    a = build_batch(RECORDS[:1])
    b = build_batch(RECORDS[1:], base_offset=1)
    buf = a + b + b[: HEADER_SIZE + 3]
    found = list(iter_batches(memoryview(buf)))
    assert [p for p, _ in found] == [0, len(a)]
    assert [h.base_offset for _, h in found] == [0, 1]
    assert list(iter_batches(b[:30])) == []


def test_xerial_snappy_decodes() -> None:
    data = b"hello kafka " * 10_000
    framed = xerial_snappy_compress(data, block_size=4096)
    assert decompress(Codec.SNAPPY, framed) == data


def test_corrupt_compressed_payload() -> None:
    with pytest.raises(KafkaError) as e:
        decompress(Codec.ZSTD, b"definitely not zstd")
    assert e.value.code == ErrorCode.CORRUPT_MESSAGE


@pytest.mark.parametrize("v", [0, 1, -1, 63, -64, 64, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63)])
def test_varint_round_trip(v: int) -> None:
    out = bytearray()
    encode_varint(v, out)
    assert decode_varint(bytes(out), 0) == (v, len(out))
