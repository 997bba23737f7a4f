"""Codecs of the controller-to-broker requests kio no longer ships (Kafka 4 removed ZK mode).

LeaderAndIsr (key 4) v2, UpdateMetadata (key 6) v5 and StopReplica (key 5) v1: the last
non-flexible versions of each, so request header v1 and response header v0. Layouts follow
Kafka's message JSON::

    LeaderAndIsr v2:   controller_id i32, controller_epoch i32, broker_epoch i64,
                       [topic str, [partition i32, controller_epoch i32, leader i32,
                       leader_epoch i32, isr [i32], zk_version i32, replicas [i32], is_new bool]],
                       [live_leader: id i32, host str, port i32]
      response:        error i16, [topic str, partition i32, error i16]
    UpdateMetadata v5: controller_id i32, controller_epoch i32, broker_epoch i64,
                       [topic str, [partition i32, controller_epoch i32, leader i32,
                       leader_epoch i32, isr [i32], zk_version i32, replicas [i32],
                       offline [i32]]],
                       [broker: id i32, [port i32, host str, listener str, protocol i16],
                       rack nullable str]
      response:        error i16
    StopReplica v1:    controller_id i32, controller_epoch i32, broker_epoch i64, delete bool,
                       [topic str, [partition i32]]
      response:        error i16, [topic str, partition i32, error i16]
    ControlledShutdown v2 (key 7): broker_id i32, broker_epoch i64
      response:        error i16, [topic str, partition i32]   (partitions still led)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import TypeVar

from odradek.protocol.primitives import (
    read_array_len,
    read_bool,
    read_int16,
    read_int32,
    read_int64,
    read_nullable_string,
    read_string,
    write_array_len,
    write_bool,
    write_int16,
    write_int32,
    write_int64,
    write_string,
)

LEADER_AND_ISR = 4
STOP_REPLICA = 5
UPDATE_METADATA = 6
CONTROLLED_SHUTDOWN = 7
CONTROLLED_SHUTDOWN_VERSION = 2
LEADER_AND_ISR_VERSION = 2
STOP_REPLICA_VERSION = 1
UPDATE_METADATA_VERSION = 5

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PartitionStateMsg:
    topic: str
    partition: int
    controller_epoch: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    zk_version: int
    replicas: tuple[int, ...]
    is_new: bool = False
    offline: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class LiveBroker:
    node_id: int
    host: str
    port: int
    rack: str | None = None


@dataclass(frozen=True, slots=True)
class ControlHeader:
    controller_id: int
    controller_epoch: int
    broker_epoch: int = -1


@dataclass(frozen=True, slots=True)
class LeaderAndIsrRequest:
    header: ControlHeader
    partitions: list[PartitionStateMsg]
    live_leaders: list[LiveBroker]


@dataclass(frozen=True, slots=True)
class UpdateMetadataRequest:
    header: ControlHeader
    partitions: list[PartitionStateMsg]
    live_brokers: list[LiveBroker]


@dataclass(frozen=True, slots=True)
class StopReplicaRequest:
    header: ControlHeader
    delete: bool
    partitions: list[tuple[str, int]]


PartitionErrors = list[tuple[str, int, int]]


def _ints(out: bytearray, values: Iterable[int]) -> None:
    vals = list(values)
    write_array_len(out, len(vals))
    for v in vals:
        write_int32(out, v)


def _read_ints(buf: memoryview, off: int) -> tuple[tuple[int, ...], int]:
    n, off = read_array_len(buf, off)
    out = []
    for _ in range(n):
        v, off = read_int32(buf, off)
        out.append(v)
    return tuple(out), off


def _read_list(
    buf: memoryview, off: int, item: Callable[[memoryview, int], tuple[T, int]]
) -> tuple[list[T], int]:
    n, off = read_array_len(buf, off)
    out = []
    for _ in range(n):
        value, off = item(buf, off)
        out.append(value)
    return out, off


def _write_header(out: bytearray, h: ControlHeader) -> None:
    write_int32(out, h.controller_id)
    write_int32(out, h.controller_epoch)
    write_int64(out, h.broker_epoch)


def _read_header(buf: memoryview, off: int) -> tuple[ControlHeader, int]:
    cid, off = read_int32(buf, off)
    epoch, off = read_int32(buf, off)
    broker_epoch, off = read_int64(buf, off)
    return ControlHeader(cid, epoch, broker_epoch), off


def _write_states(out: bytearray, parts: list[PartitionStateMsg], metadata: bool) -> None:
    ordered = sorted(parts, key=lambda s: (s.topic, s.partition))
    groups = [(t, list(g)) for t, g in groupby(ordered, key=lambda s: s.topic)]
    write_array_len(out, len(groups))
    for topic, states in groups:
        write_string(out, topic)
        write_array_len(out, len(states))
        for s in states:
            for v in (s.partition, s.controller_epoch, s.leader, s.leader_epoch):
                write_int32(out, v)
            _ints(out, s.isr)
            write_int32(out, s.zk_version)
            _ints(out, s.replicas)
            if metadata:
                _ints(out, s.offline)
            else:
                write_bool(out, s.is_new)


def _read_states(buf: memoryview, off: int, metadata: bool) -> tuple[list[PartitionStateMsg], int]:
    out: list[PartitionStateMsg] = []
    ntopics, off = read_array_len(buf, off)
    for _ in range(ntopics):
        topic, off = read_string(buf, off)
        nparts, off = read_array_len(buf, off)
        for _ in range(nparts):
            p, off = read_int32(buf, off)
            ce, off = read_int32(buf, off)
            leader, off = read_int32(buf, off)
            le, off = read_int32(buf, off)
            isr, off = _read_ints(buf, off)
            zkv, off = read_int32(buf, off)
            replicas, off = _read_ints(buf, off)
            is_new, offline = False, tuple[int, ...]()
            if metadata:
                offline, off = _read_ints(buf, off)
            else:
                is_new, off = read_bool(buf, off)
            out.append(
                PartitionStateMsg(topic, p, ce, leader, le, isr, zkv, replicas, is_new, offline)
            )
    return out, off


# ---------------------------------------------------------------- LeaderAndIsr


def encode_leader_and_isr(r: LeaderAndIsrRequest) -> bytes:
    out = bytearray()
    _write_header(out, r.header)
    _write_states(out, r.partitions, metadata=False)
    write_array_len(out, len(r.live_leaders))
    for b in r.live_leaders:
        write_int32(out, b.node_id)
        write_string(out, b.host)
        write_int32(out, b.port)
    return bytes(out)


def _read_leader(buf: memoryview, off: int) -> tuple[LiveBroker, int]:
    node, off = read_int32(buf, off)
    host, off = read_string(buf, off)
    port, off = read_int32(buf, off)
    return LiveBroker(node, host, port), off


def decode_leader_and_isr(buf: memoryview, off: int) -> LeaderAndIsrRequest:
    header, off = _read_header(buf, off)
    parts, off = _read_states(buf, off, metadata=False)
    leaders, off = _read_list(buf, off, _read_leader)
    return LeaderAndIsrRequest(header, parts, leaders)


def encode_partition_errors(error: int, errors: PartitionErrors) -> bytes:
    out = bytearray()
    write_int16(out, error)
    write_array_len(out, len(errors))
    for topic, p, code in errors:
        write_string(out, topic)
        write_int32(out, p)
        write_int16(out, code)
    return bytes(out)


def _read_perr(buf: memoryview, off: int) -> tuple[tuple[str, int, int], int]:
    topic, off = read_string(buf, off)
    p, off = read_int32(buf, off)
    code, off = read_int16(buf, off)
    return (topic, p, code), off


def decode_partition_errors(buf: memoryview, off: int) -> tuple[int, PartitionErrors]:
    error, off = read_int16(buf, off)
    errors, off = _read_list(buf, off, _read_perr)
    return error, errors


# ---------------------------------------------------------------- UpdateMetadata


def encode_update_metadata(r: UpdateMetadataRequest) -> bytes:
    out = bytearray()
    _write_header(out, r.header)
    _write_states(out, r.partitions, metadata=True)
    write_array_len(out, len(r.live_brokers))
    for b in r.live_brokers:
        write_int32(out, b.node_id)
        write_array_len(out, 1)
        write_int32(out, b.port)
        write_string(out, b.host)
        write_string(out, "PLAINTEXT")
        write_int16(out, 0)
        write_string(out, b.rack)
    return bytes(out)


def _read_live(buf: memoryview, off: int) -> tuple[LiveBroker, int]:
    node, off = read_int32(buf, off)
    n, off = read_array_len(buf, off)
    host, port = "", -1
    for i in range(n):
        p, off = read_int32(buf, off)
        h, off = read_string(buf, off)
        _listener, off = read_string(buf, off)
        _proto, off = read_int16(buf, off)
        if i == 0:
            host, port = h, p
    rack, off = read_nullable_string(buf, off)
    return LiveBroker(node, host, port, rack), off


def decode_update_metadata(buf: memoryview, off: int) -> UpdateMetadataRequest:
    header, off = _read_header(buf, off)
    parts, off = _read_states(buf, off, metadata=True)
    brokers, off = _read_list(buf, off, _read_live)
    return UpdateMetadataRequest(header, parts, brokers)


def encode_error_only(error: int) -> bytes:
    out = bytearray()
    write_int16(out, error)
    return bytes(out)


def decode_error_only(buf: memoryview, off: int) -> int:
    return read_int16(buf, off)[0]


# ---------------------------------------------------------------- StopReplica


def encode_stop_replica(r: StopReplicaRequest) -> bytes:
    out = bytearray()
    _write_header(out, r.header)
    write_bool(out, r.delete)
    ordered = sorted(r.partitions)
    groups = [(t, [p for _, p in g]) for t, g in groupby(ordered, key=lambda x: x[0])]
    write_array_len(out, len(groups))
    for topic, parts in groups:
        write_string(out, topic)
        _ints(out, parts)
    return bytes(out)


def decode_stop_replica(buf: memoryview, off: int) -> StopReplicaRequest:
    header, off = _read_header(buf, off)
    delete, off = read_bool(buf, off)
    ntopics, off = read_array_len(buf, off)
    parts: list[tuple[str, int]] = []
    for _ in range(ntopics):
        topic, off = read_string(buf, off)
        ps, off = _read_ints(buf, off)
        parts.extend((topic, p) for p in ps)
    return StopReplicaRequest(header, delete, parts)


# ---------------------------------------------------------------- ControlledShutdown


def encode_controlled_shutdown(broker_id: int, broker_epoch: int = -1) -> bytes:
    out = bytearray()
    write_int32(out, broker_id)
    write_int64(out, broker_epoch)
    return bytes(out)


def decode_controlled_shutdown(buf: memoryview, off: int) -> int:
    return read_int32(buf, off)[0]


def encode_controlled_shutdown_response(error: int, remaining: list[tuple[str, int]]) -> bytes:
    out = bytearray()
    write_int16(out, error)
    write_array_len(out, len(remaining))
    for topic, p in remaining:
        write_string(out, topic)
        write_int32(out, p)
    return bytes(out)


def _read_tp(buf: memoryview, off: int) -> tuple[tuple[str, int], int]:
    topic, off = read_string(buf, off)
    p, off = read_int32(buf, off)
    return (topic, p), off


def decode_controlled_shutdown_response(
    buf: memoryview, off: int
) -> tuple[int, list[tuple[str, int]]]:
    error, off = read_int16(buf, off)
    remaining, off = _read_list(buf, off, _read_tp)
    return error, remaining
