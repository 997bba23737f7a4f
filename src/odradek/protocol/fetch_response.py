"""Zero-copy decoder of Fetch responses (versions 4 to 16), for follower fetchers and tools.

The inverse of :func:`odradek.protocol.fetch.encode_fetch_response`: each partition's record
set comes back as one memoryview slice of the response buffer (``records=[slice]``), so a
follower can append the leader's batches to its log without copying them. The layout is
documented in :mod:`odradek.protocol.fetch`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol.fetch import (
    FIRST_FLEXIBLE,
    FIRST_TOPIC_ID,
    MAX_VERSION,
    MIN_VERSION,
    FetchPartitionResult,
    FetchTopicResult,
)
from odradek.protocol.primitives import (
    INT32,
    INT64,
    DecodeError,
    read_array_len,
    read_compact_array_len,
    read_compact_nullable_string,
    read_compact_string,
    read_string,
    read_tagged_fields,
    read_uuid,
    read_uvarint,
    skip_tagged_fields,
)
from odradek.protocol.tagged import NodeEndpoint

_TOP_V7 = struct.Struct(">ihi")
_PART_HEAD = struct.Struct(">ihqq")
_ABORTED = struct.Struct(">qq")
_I32_I64 = struct.Struct(">iq")
_I64_I32 = struct.Struct(">qi")
_I32_I32 = struct.Struct(">ii")


@dataclass(slots=True)
class FetchResponseView:
    throttle_time_ms: int
    error_code: int
    session_id: int
    topics: list[FetchTopicResult]
    node_endpoints: list[NodeEndpoint]


def decode_fetch_response(version: int, buf: memoryview, offset: int) -> FetchResponseView:
    """Decode a Fetch response body starting at ``offset`` (just after the response header)."""
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"Fetch v{version}")
    try:
        return _decode(version, buf, offset)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise DecodeError(f"malformed Fetch v{version} response: {exc}") from None


def _decode(version: int, buf: memoryview, off: int) -> FetchResponseView:
    flexible = version >= FIRST_FLEXIBLE
    if version >= 7:
        throttle, error_code, session_id = _TOP_V7.unpack_from(buf, off)
        off += 10
    else:
        throttle, error_code, session_id = INT32.unpack_from(buf, off)[0], 0, 0
        off += 4
    read_len = read_compact_array_len if flexible else read_array_len
    ntopics, off = read_len(buf, off)
    topics: list[FetchTopicResult] = []
    for _ in range(ntopics):
        name = ""
        topic_id = None
        if version >= FIRST_TOPIC_ID:
            topic_id, off = read_uuid(buf, off)
        else:
            name, off = (read_compact_string if flexible else read_string)(buf, off)
        nparts, off = read_len(buf, off)
        parts: list[FetchPartitionResult] = []
        for _ in range(nparts):
            part, off = _decode_partition(version, flexible, buf, off)
            parts.append(part)
        if flexible:
            off = skip_tagged_fields(buf, off)
        topics.append(FetchTopicResult(name, topic_id, parts))
    endpoints: list[NodeEndpoint] = []
    if flexible:
        tags, off = read_tagged_fields(buf, off)
        if 0 in tags and version >= 16:
            endpoints = _node_endpoints(tags[0])
    return FetchResponseView(throttle, error_code, session_id, topics, endpoints)


def _decode_partition(
    version: int, flexible: bool, buf: memoryview, off: int
) -> tuple[FetchPartitionResult, int]:
    index, error_code, high_watermark, lso = _PART_HEAD.unpack_from(buf, off)
    off += 22
    log_start = -1
    if version >= 5:
        log_start = INT64.unpack_from(buf, off)[0]
        off += 8
    naborted, off = (read_compact_array_len if flexible else read_array_len)(buf, off)
    entries: list[tuple[int, int]] = []
    for _ in range(naborted):
        entries.append(_ABORTED.unpack_from(buf, off))
        off += 16
        if flexible:
            off = skip_tagged_fields(buf, off)
    aborted = None if naborted < 0 else entries
    preferred = -1
    if version >= 11:
        preferred = INT32.unpack_from(buf, off)[0]
        off += 4
    if flexible:
        size, off = read_uvarint(buf, off)
        size -= 1
    else:
        size = INT32.unpack_from(buf, off)[0]
        off += 4
    records: list[memoryview] | None = None
    if size >= 0:
        end = off + size
        if end > len(buf):
            raise DecodeError("records extend past the end of the response")
        records = [buf[off:end]]
        off = end
    part = FetchPartitionResult(
        index, error_code, high_watermark, lso, log_start, aborted, preferred, records,
        max(size, 0),
    )  # fmt: skip
    if flexible:
        tags, off = read_tagged_fields(buf, off)
        if 0 in tags:
            part.diverging_epoch = _I32_I64.unpack_from(tags[0], 0)
        if 1 in tags:
            part.current_leader = _I32_I32.unpack_from(tags[1], 0)
        if 2 in tags:
            part.snapshot_id = _I64_I32.unpack_from(tags[2], 0)
    return part, off


def _node_endpoints(raw: memoryview) -> list[NodeEndpoint]:
    count, off = read_compact_array_len(raw, 0)
    out: list[NodeEndpoint] = []
    for _ in range(count):
        node_id = INT32.unpack_from(raw, off)[0]
        host, off = read_compact_string(raw, off + 4)
        port = INT32.unpack_from(raw, off)[0]
        rack, off = read_compact_nullable_string(raw, off + 4)
        off = skip_tagged_fields(raw, off)
        out.append(NodeEndpoint(node_id, host, port, rack))
    return out
