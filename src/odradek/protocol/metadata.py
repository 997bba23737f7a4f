"""Hand-written Metadata (api key 3) response encoder, versions 0 to 13.

Metadata responses are large (every partition of every topic) and frequent, so they skip the
generic kio writer. Requests are small and go through kio (:func:`decode_metadata_request`).

Response layout (v9+ flexible: compact strings/arrays and a tag section after every struct)::

    throttle_time_ms INT32 (v3+),
    brokers [node_id INT32, host STRING, port INT32, rack NULLABLE_STRING (v1+)],
    cluster_id NULLABLE_STRING (v2+), controller_id INT32 (v1+),
    topics [error_code INT16, name STRING (nullable v12+), topic_id UUID (v10+),
      is_internal BOOL (v1+),
      partitions [error_code INT16, partition_index INT32, leader_id INT32,
        leader_epoch INT32 (v7+), replica_nodes [INT32], isr_nodes [INT32],
        offline_replicas [INT32] (v5+)],
      topic_authorized_operations INT32 (v8+)],
    cluster_authorized_operations INT32 (v8-v10), error_code INT16 (v13+)
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import kio_codec
from odradek.protocol.primitives import INT16, INT32, ZERO_UUID, uvarint, write_string

MIN_VERSION = 0
MAX_VERSION = 13
FIRST_FLEXIBLE = 9
AUTHORIZED_OPERATIONS_OMITTED = -(2**31)  # Kafka's "not requested" sentinel

_PART_HEAD = struct.Struct(">hii")  # error_code, partition_index, leader_id
_BROKER_HEAD = struct.Struct(">i")
_INT_ARRAYS: dict[int, struct.Struct] = {}
_PARTITION_STRUCTS: dict[tuple[bool, bool, bool, int, int, int], struct.Struct] = {}


@dataclass(frozen=True, slots=True)
class MetadataPartition:
    error_code: int
    index: int
    leader_id: int
    leader_epoch: int
    replicas: Sequence[int]
    isr: Sequence[int]
    offline_replicas: Sequence[int] = ()


@dataclass(frozen=True, slots=True)
class MetadataTopic:
    error_code: int
    name: str | None
    topic_id: uuid.UUID | None
    is_internal: bool
    partitions: Sequence[MetadataPartition]
    topic_authorized_operations: int = AUTHORIZED_OPERATIONS_OMITTED


def _check_version(version: int) -> None:
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"Metadata v{version}")


def decode_metadata_request(version: int, buf: memoryview, offset: int) -> Any:
    """Decode a Metadata request with kio (topics: None means all topics, v1+)."""
    _check_version(version)
    return kio_codec.decode_request(3, version, buf, offset)


def _int_array(out: bytearray, values: Sequence[int], flexible: bool) -> None:
    n = len(values)
    out += uvarint(n + 1) if flexible else INT32.pack(n)
    if n:
        packer = _INT_ARRAYS.get(n)
        if packer is None:
            packer = _INT_ARRAYS[n] = struct.Struct(f">{n}i")
        out += packer.pack(*values)


def _partition_struct(version: int, flexible: bool, n1: int, n2: int, n3: int) -> struct.Struct:
    """One Struct for a whole partition entry, keyed by version class and list lengths."""
    key = (version >= 7, version >= 5, flexible, n1, n2, n3)
    packer = _PARTITION_STRUCTS.get(key)
    if packer is None:
        count = "B" if flexible else "i"  # compact counts below 127 are one uvarint byte
        fmt = ">hii" + ("i" if version >= 7 else "")
        fmt += f"{count}{n1}i{count}{n2}i"
        if version >= 5:
            fmt += f"{count}{n3}i"
        if flexible:
            fmt += "B"
        packer = _PARTITION_STRUCTS[key] = struct.Struct(fmt)
    return packer


def _encode_partition(version: int, flexible: bool, p: MetadataPartition) -> bytes:
    replicas, isr, offline = p.replicas, p.isr, p.offline_replicas
    n1, n2, n3 = len(replicas), len(isr), len(offline)
    if flexible and max(n1, n2, n3) >= 126:
        return _encode_partition_slow(version, flexible, p)
    packer = _partition_struct(version, flexible, n1, n2, n3)
    bias = 1 if flexible else 0
    args: list[int] = [p.error_code, p.index, p.leader_id]
    if version >= 7:
        args.append(p.leader_epoch)
    args.append(n1 + bias)
    args.extend(replicas)
    args.append(n2 + bias)
    args.extend(isr)
    if version >= 5:
        args.append(n3 + bias)
        args.extend(offline)
    if flexible:
        args.append(0)
    return packer.pack(*args)


def _encode_partition_slow(version: int, flexible: bool, p: MetadataPartition) -> bytes:
    out = bytearray(_PART_HEAD.pack(p.error_code, p.index, p.leader_id))
    if version >= 7:
        out += INT32.pack(p.leader_epoch)
    _int_array(out, p.replicas, flexible)
    _int_array(out, p.isr, flexible)
    if version >= 5:
        _int_array(out, p.offline_replicas, flexible)
    if flexible:
        out.append(0)
    return bytes(out)


def encode_metadata_response(
    version: int,
    throttle_time_ms: int,
    brokers: Sequence[tuple[int, str, int, str | None]],
    cluster_id: str | None,
    controller_id: int,
    topics: Sequence[MetadataTopic],
    cluster_authorized_operations: int = AUTHORIZED_OPERATIONS_OMITTED,
    error_code: int = 0,
) -> bytes:
    """Encode a Metadata response body (no header)."""
    _check_version(version)
    flexible = version >= FIRST_FLEXIBLE
    out = bytearray()
    if version >= 3:
        out += INT32.pack(throttle_time_ms)
    out += uvarint(len(brokers) + 1) if flexible else INT32.pack(len(brokers))
    for node_id, host, port, rack in brokers:
        out += _BROKER_HEAD.pack(node_id)
        write_string(out, host, flexible)
        out += INT32.pack(port)
        if version >= 1:
            write_string(out, rack, flexible)
        if flexible:
            out.append(0)
    if version >= 2:
        write_string(out, cluster_id, flexible)
    if version >= 1:
        out += INT32.pack(controller_id)
    out += uvarint(len(topics) + 1) if flexible else INT32.pack(len(topics))
    for topic in topics:
        _encode_topic(out, version, flexible, topic)
    if 8 <= version <= 10:
        out += INT32.pack(cluster_authorized_operations)
    if version >= 13:
        out += INT16.pack(error_code)
    if flexible:
        out.append(0)
    return bytes(out)


def _encode_topic(out: bytearray, version: int, flexible: bool, topic: MetadataTopic) -> None:
    out += INT16.pack(topic.error_code)
    write_string(out, topic.name, flexible)
    if version >= 10:
        out += (topic.topic_id or ZERO_UUID).bytes
    if version >= 1:
        out.append(1 if topic.is_internal else 0)
    parts = topic.partitions
    out += uvarint(len(parts) + 1) if flexible else INT32.pack(len(parts))
    for p in parts:
        out += _encode_partition(version, flexible, p)
    if version >= 8:
        out += INT32.pack(topic.topic_authorized_operations)
    if flexible:
        out.append(0)
