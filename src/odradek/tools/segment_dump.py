"""Render a Kafka ``.log`` segment as kafka-dump-log prints it: one line per batch, optionally
one ``| offset: ...`` line per record (deep iteration) with key and payload (print-data-log).

Works on any buffer (bytes or an mmap); v2 batches are decoded with ``odradek.records``;
legacy message sets (magic 0/1) get a shallow line each. Trailing bytes that do not frame a
whole batch are reported as ``Found N invalid bytes at the end of FILE``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from odradek.common.errors import KafkaError
from odradek.records.batch import (
    DELETE_HORIZON_MASK,
    HEADER_SIZE,
    LOG_OVERHEAD,
    MIN_BATCH_LENGTH,
    BatchHeader,
    compute_crc,
    read_header,
)
from odradek.records.compression import Codec
from odradek.records.record import Record, iter_records

_OFFSET_LENGTH = struct.Struct(">qi")
_LEGACY = struct.Struct(">qiIbb")  # offset, size, crc, magic, attributes
_I64 = struct.Struct(">q")
_CONTROL_KEY = struct.Struct(">hh")
_END_TXN_VALUE = struct.Struct(">hi")
CONTROL_TYPES = {0: "ABORT", 1: "COMMIT", 2: "LEADER_CHANGE", 3: "SNAPSHOT_HEADER"}
LEGACY_MIN_SIZE = 14  # crc + magic + attributes + key length + value length (v0)


@dataclass(frozen=True, slots=True)
class DumpOptions:
    deep: bool = False
    print_data: bool = False
    skip_record_metadata: bool = False


def codec_name(codec: int) -> str:
    try:
        return Codec(codec).name.lower()
    except ValueError:
        return f"unknown({codec})"


def _last_sequence(h: BatchHeader) -> int:
    if h.base_sequence < 0:
        return -1
    return (h.base_sequence + h.last_offset_delta) % (2**31)


def batch_line(h: BatchHeader, position: int, valid: bool) -> str:
    ts_type = "LogAppendTime" if h.log_append_time else "CreateTime"
    horizon = (
        f"OptionalLong[{h.base_timestamp}]"
        if h.attributes & DELETE_HORIZON_MASK
        else "OptionalLong.empty"
    )
    return (
        f"baseOffset: {h.base_offset} lastOffset: {h.last_offset} count: {h.records_count} "
        f"baseSequence: {h.base_sequence} lastSequence: {_last_sequence(h)} "
        f"producerId: {h.producer_id} producerEpoch: {h.producer_epoch} "
        f"partitionLeaderEpoch: {h.partition_leader_epoch} "
        f"isTransactional: {str(h.is_transactional).lower()} "
        f"isControl: {str(h.is_control).lower()} deleteHorizonMs: {horizon} "
        f"position: {position} {ts_type}: {h.max_timestamp} size: {h.size} magic: {h.magic} "
        f"compresscodec: {codec_name(h.compression)} crc: {h.crc} "
        f"isvalid: {str(valid).lower()}"
    )


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def control_text(rec: Record) -> str:
    if rec.key is None or len(rec.key) < _CONTROL_KEY.size:
        return " controlType: UNKNOWN(-1)"
    _version, kind = _CONTROL_KEY.unpack_from(rec.key)
    name = CONTROL_TYPES.get(kind, "UNKNOWN")
    if kind in (0, 1) and rec.value is not None and len(rec.value) >= _END_TXN_VALUE.size:
        _v, coordinator_epoch = _END_TXN_VALUE.unpack_from(rec.value)
        return f" endTxnMarker: {name} coordinatorEpoch: {coordinator_epoch}"
    return f" controlType: {name}({kind})"


def record_line(h: BatchHeader, rec: Record, opts: DumpOptions) -> str:
    if opts.skip_record_metadata and opts.print_data and not h.is_control:
        return "" if rec.value is None else _text(rec.value)
    ts_type = "LogAppendTime" if h.log_append_time else "CreateTime"
    sequence = -1 if h.base_sequence < 0 else h.base_sequence + (rec.offset - h.base_offset)
    key_size = -1 if rec.key is None else len(rec.key)
    value_size = -1 if rec.value is None else len(rec.value)
    line = (
        f"| offset: {rec.offset} {ts_type}: {rec.timestamp} keySize: {key_size} "
        f"valueSize: {value_size} sequence: {sequence} "
        f"headerKeys: [{','.join(k for k, _ in rec.headers)}]"
    )
    if h.is_control:
        line += control_text(rec)
    elif opts.print_data:
        if rec.key is not None:
            line += f" key: {_text(rec.key)}"
        if rec.value is not None:
            line += f" payload: {_text(rec.value)}"
    return line


def legacy_line(buf: memoryview, pos: int, size: int) -> str:
    offset, _length, crc, magic, attributes = _LEGACY.unpack_from(buf, pos)
    valid = zlib.crc32(buf[pos + 16 : pos + size]) == crc
    stamp = ""
    if magic == 1 and size >= LOG_OVERHEAD + 12:
        ts = _I64.unpack_from(buf, pos + 18)[0]
        stamp = f" {'LogAppendTime' if attributes & 0x08 else 'CreateTime'}: {ts}"
    else:
        stamp = " NoTimestampType: -1"
    return (
        f"offset: {offset} position: {pos}{stamp} size: {size} magic: {magic} "
        f"compresscodec: {codec_name(attributes & 0x07)} crc: {crc} isvalid: {str(valid).lower()}"
    )


def _frame(buf: memoryview, pos: int) -> int:
    """Size of the batch/message at ``pos``, or 0 if what follows cannot be one."""
    end = len(buf)
    if end - pos < LOG_OVERHEAD + 5:
        return 0
    _offset, length = _OFFSET_LENGTH.unpack_from(buf, pos)
    magic = buf[pos + 16]
    smallest = MIN_BATCH_LENGTH if magic == 2 else LEGACY_MIN_SIZE
    if magic > 2 or length < smallest or pos + LOG_OVERHEAD + length > end:
        return 0
    if magic == 2 and end - pos < HEADER_SIZE:
        return 0
    return LOG_OVERHEAD + int(length)


def dump_segment(data: bytes | memoryview, name: str, opts: DumpOptions) -> Iterator[str]:
    """Lines describing every batch (and record, when deep) of one segment's bytes."""
    buf = memoryview(data)
    pos = 0
    while True:
        size = _frame(buf, pos)
        if size == 0:
            break
        if buf[pos + 16] != 2:
            yield legacy_line(buf, pos, size)
            pos += size
            continue
        h = read_header(buf, pos)
        valid = compute_crc(buf, pos, size) == h.crc
        yield batch_line(h, pos, valid)
        if opts.deep:
            yield from _record_lines(buf[pos : pos + size], h, opts)
        pos += size
    if pos < len(buf):
        yield f"Found {len(buf) - pos} invalid bytes at the end of {name}"


def _record_lines(batch: memoryview, h: BatchHeader, opts: DumpOptions) -> Iterator[str]:
    try:
        for rec in iter_records(batch):
            yield record_line(h, rec, opts)
    except (KafkaError, IndexError, ValueError, struct.error) as exc:
        yield f"| could not decode records of batch at offset {h.base_offset}: {exc}"
