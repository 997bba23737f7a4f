"""Hand-written zero-copy codec for Produce (api key 0), versions 3 to 12.

Request (v9+ flexible: compact strings/arrays/bytes and a tag section after every struct)::

    transactional_id NULLABLE_STRING, acks INT16, timeout_ms INT32,
    topic_data [name STRING, partition_data [index INT32, records NULLABLE_BYTES]]

The decoded view holds ``records`` as memoryview slices of the frame body: nothing is copied
and no record is parsed here (``records/`` validates batches).

Response::

    responses [name STRING, partition_responses [index INT32, error_code INT16,
      base_offset INT64, log_append_time_ms INT64, log_start_offset INT64 (v5+),
      record_errors [batch_index INT32, message NULLABLE_STRING] (v8+),
      error_message NULLABLE_STRING (v8+), current_leader TAG 0 (v10+)]],
    throttle_time_ms INT32, node_endpoints TAG 0 (v10+)

v13 (topic ids instead of names, KIP-516) is not handled here.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol.primitives import (
    INT32,
    INT64,
    DecodeError,
    read_compact_nullable_string,
    read_compact_string,
    read_nullable_string,
    read_string,
    read_uvarint,
    skip_tagged_fields,
    uvarint,
    write_string,
)
from odradek.protocol.tagged import NodeEndpoint, leader_tag, node_endpoints_tag

MIN_VERSION = 3
MAX_VERSION = 12
FIRST_FLEXIBLE = 9

_ACKS_TIMEOUT = struct.Struct(">hi")
_INDEX_SIZE = struct.Struct(">ii")
_PARTITION_HEAD = struct.Struct(">ihqq")  # index, error_code, base_offset, log_append_time
_EMPTY_TAGS = b"\x00"


class ProducePartition:
    """One partition's record set as a slice of the request buffer (None if the client sent
    null)."""

    __slots__ = ("index", "records")

    def __init__(self, index: int, records: memoryview | None) -> None:
        self.index = index
        self.records = records


class ProduceTopic:
    __slots__ = ("name", "partitions")

    def __init__(self, name: str, partitions: list[ProducePartition]) -> None:
        self.name = name
        self.partitions = partitions


class ProduceRequestView:
    __slots__ = ("acks", "timeout_ms", "topics", "transactional_id")

    def __init__(
        self, transactional_id: str | None, acks: int, timeout_ms: int, topics: list[ProduceTopic]
    ) -> None:
        self.transactional_id = transactional_id
        self.acks = acks
        self.timeout_ms = timeout_ms
        self.topics = topics


@dataclass(frozen=True, slots=True)
class PartitionResult:
    """The outcome of appending one partition's records."""

    index: int
    error_code: int
    base_offset: int
    log_append_time_ms: int = -1
    log_start_offset: int = -1
    record_errors: Sequence[tuple[int, str | None]] = field(default=())
    error_message: str | None = None
    current_leader: tuple[int, int] | None = None  # (leader_id, leader_epoch), v10+


def _check_version(version: int) -> None:
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"Produce v{version}")


def decode_produce_request(version: int, buf: memoryview, offset: int) -> ProduceRequestView:
    """Decode a Produce request body starting at ``offset`` (just after the header)."""
    _check_version(version)
    try:
        if version >= FIRST_FLEXIBLE:
            return _decode_flexible(buf, offset)
        return _decode_legacy(buf, offset)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise DecodeError(f"malformed Produce v{version} request: {exc}") from None


def _decode_legacy(buf: memoryview, off: int) -> ProduceRequestView:
    txn, off = read_nullable_string(buf, off)
    acks, timeout_ms = _ACKS_TIMEOUT.unpack_from(buf, off)
    ntopics = INT32.unpack_from(buf, off + 6)[0]
    off += 10
    topics: list[ProduceTopic] = []
    unpack_part = _INDEX_SIZE.unpack_from
    size_limit = len(buf)
    for _ in range(ntopics):
        name, off = read_string(buf, off)
        nparts = INT32.unpack_from(buf, off)[0]
        off += 4
        parts: list[ProducePartition] = []
        for _ in range(nparts):
            index, size = unpack_part(buf, off)
            off += 8
            if size < 0:
                parts.append(ProducePartition(index, None))
                continue
            end = off + size
            if end > size_limit:
                raise DecodeError("records extend past the end of the request")
            parts.append(ProducePartition(index, buf[off:end]))
            off = end
        topics.append(ProduceTopic(name, parts))
    return ProduceRequestView(txn, acks, timeout_ms, topics)


def _decode_flexible(buf: memoryview, off: int) -> ProduceRequestView:
    txn, off = read_compact_nullable_string(buf, off)
    acks, timeout_ms = _ACKS_TIMEOUT.unpack_from(buf, off)
    ntopics, off = read_uvarint(buf, off + 6)
    topics: list[ProduceTopic] = []
    size_limit = len(buf)
    unpack_i32 = INT32.unpack_from
    for _ in range(ntopics - 1):
        name, off = read_compact_string(buf, off)
        nparts, off = read_uvarint(buf, off)
        parts: list[ProducePartition] = []
        for _ in range(nparts - 1):
            index = unpack_i32(buf, off)[0]
            size = buf[off + 4]
            if size < 0x80:  # one-byte length: empty or null record set
                off += 5
            else:
                size, off = read_uvarint(buf, off + 4)
            if size == 0:
                records = None
            else:
                end = off + size - 1
                if end > size_limit:
                    raise DecodeError("records extend past the end of the request")
                records = buf[off:end]
                off = end
            off = off + 1 if buf[off] == 0 else skip_tagged_fields(buf, off)
            parts.append(ProducePartition(index, records))
        off = off + 1 if buf[off] == 0 else skip_tagged_fields(buf, off)
        topics.append(ProduceTopic(name, parts))
    skip_tagged_fields(buf, off)
    return ProduceRequestView(txn, acks, timeout_ms, topics)


def encode_produce_response(
    version: int,
    topics: Sequence[tuple[str, Sequence[PartitionResult]]],
    throttle_time_ms: int = 0,
    node_endpoints: Sequence[NodeEndpoint] = (),
) -> bytes:
    """Encode a Produce response body (no header)."""
    _check_version(version)
    flexible = version >= FIRST_FLEXIBLE
    out = bytearray()
    out += uvarint(len(topics) + 1) if flexible else INT32.pack(len(topics))
    for name, partitions in topics:
        write_string(out, name, flexible)
        out += uvarint(len(partitions) + 1) if flexible else INT32.pack(len(partitions))
        for part in partitions:
            _encode_partition(out, version, flexible, part)
        if flexible:
            out += _EMPTY_TAGS
    out += INT32.pack(throttle_time_ms)
    if flexible:
        if node_endpoints and version >= 10:
            body = node_endpoints_tag(node_endpoints)
            out += b"\x01\x00" + uvarint(len(body)) + body
        else:
            out += _EMPTY_TAGS
    return bytes(out)


def _encode_partition(out: bytearray, version: int, flexible: bool, part: PartitionResult) -> None:
    out += _PARTITION_HEAD.pack(
        part.index, part.error_code, part.base_offset, part.log_append_time_ms
    )
    if version >= 5:
        out += INT64.pack(part.log_start_offset)
    if version >= 8:
        errors = part.record_errors
        out += uvarint(len(errors) + 1) if flexible else INT32.pack(len(errors))
        for batch_index, message in errors:
            out += INT32.pack(batch_index)
            write_string(out, message, flexible)
            if flexible:
                out += _EMPTY_TAGS
        write_string(out, part.error_message, flexible)
    if flexible:
        leader = part.current_leader
        if version >= 10 and leader is not None and leader != (-1, -1):
            out += b"\x01\x00\x09" + leader_tag(*leader)
        else:
            out += _EMPTY_TAGS
