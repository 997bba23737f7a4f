"""Produce codec equals kio, byte for byte, for every version 3..12."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kio.schema.errors import ErrorCode as KioErrorCode
from protocol_kio_build import err, ms, req_module, resp_module, ts

from odradek.common.errors import KafkaError
from odradek.protocol import kio_codec
from odradek.protocol.primitives import DecodeError
from odradek.protocol.produce import (
    PartitionResult,
    decode_produce_request,
    encode_produce_response,
)
from odradek.protocol.tagged import NodeEndpoint

VERSIONS = list(range(3, 13))
SETTINGS = settings(max_examples=40, deadline=None)

i32 = st.integers(-(2**31), 2**31 - 1)
i64 = st.integers(-(2**63), 2**63 - 1)
names = st.text(min_size=1, max_size=12)
codes = st.sampled_from([int(c) for c in KioErrorCode])
records = st.none() | st.binary(max_size=300)
partitions_in = st.lists(st.tuples(i32, records), max_size=4)
topics_in = st.lists(st.tuples(names, partitions_in), max_size=4)


@st.composite
def results(draw: st.DrawFn) -> PartitionResult:
    leader = draw(st.none() | st.tuples(i32, i32))
    return PartitionResult(
        index=draw(i32),
        error_code=draw(codes),
        base_offset=draw(i64),
        log_append_time_ms=draw(st.just(-1) | st.integers(0, 2**41)),
        log_start_offset=draw(i64),
        record_errors=draw(st.lists(st.tuples(i32, st.none() | names), max_size=2)),
        error_message=draw(st.none() | names),
        current_leader=leader,
    )


endpoints = st.lists(st.builds(NodeEndpoint, i32, names, i32, st.none() | names), max_size=3)


def kio_request(version: int, txn: str | None, acks: int, timeout: int, topics: list) -> bytes:
    mod = req_module(0, version)
    entity = mod.ProduceRequest(
        transactional_id=txn,
        acks=acks,
        timeout=ms(timeout),
        topic_data=tuple(
            mod.TopicProduceData(
                name=name,
                partition_data=tuple(
                    mod.PartitionProduceData(index=i, records=r) for i, r in parts
                ),
            )
            for name, parts in topics
        ),
    )
    return kio_codec.encode_request(entity)


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    txn=st.none() | names,
    acks=st.sampled_from([-1, 0, 1]),
    timeout=st.integers(0, 2**31 - 1),
    topics=topics_in,
)
def test_decode_matches_kio(
    version: int, txn: str | None, acks: int, timeout: int, topics: list
) -> None:
    raw = b"HEADER" + kio_request(version, txn, acks, timeout, topics)
    buf = memoryview(raw)
    view = decode_produce_request(version, buf, 6)
    assert (view.transactional_id, view.acks, view.timeout_ms) == (txn, acks, timeout)
    got = [
        (t.name, [(p.index, None if p.records is None else bytes(p.records)) for p in t.partitions])
        for t in view.topics
    ]
    assert got == [(n, list(ps)) for n, ps in topics]
    for t in view.topics:
        for p in t.partitions:
            if p.records is not None:
                assert p.records.obj is raw  # zero copy: a slice of the frame


def kio_partition(mod: object, version: int, r: PartitionResult) -> object:
    kw: dict[str, object] = {
        "index": r.index,
        "error_code": err(r.error_code),
        "base_offset": r.base_offset,
        "log_append_time": ts(r.log_append_time_ms),
    }
    if version >= 5:
        kw["log_start_offset"] = r.log_start_offset
    if version >= 8:
        kw["record_errors"] = tuple(
            mod.BatchIndexAndErrorMessage(batch_index=b, batch_index_error_message=m)  # type: ignore[attr-defined]
            for b, m in r.record_errors
        )
        kw["error_message"] = r.error_message
    if version >= 10 and r.current_leader is not None:
        kw["current_leader"] = mod.LeaderIdAndEpoch(  # type: ignore[attr-defined]
            leader_id=r.current_leader[0], leader_epoch=r.current_leader[1]
        )
    return mod.PartitionProduceResponse(**kw)  # type: ignore[attr-defined]


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    topics=st.lists(st.tuples(names, st.lists(results(), max_size=3)), max_size=3),
    throttle=st.integers(0, 2**31 - 1),
    eps=endpoints,
)
def test_encode_matches_kio(version: int, topics: list, throttle: int, eps: list) -> None:
    mod = resp_module(0, version)
    kw: dict[str, object] = {}
    if version >= 10:
        kw["node_endpoints"] = tuple(
            mod.NodeEndpoint(node_id=e.node_id, host=e.host, port=e.port, rack=e.rack) for e in eps
        )
    entity = mod.ProduceResponse(
        responses=tuple(
            mod.TopicProduceResponse(
                name=name, partition_responses=tuple(kio_partition(mod, version, r) for r in rs)
            )
            for name, rs in topics
        ),
        throttle_time=ms(throttle),
        **kw,
    )
    expected = kio_codec.encode_response(entity)
    assert encode_produce_response(version, topics, throttle, eps) == expected


@pytest.mark.parametrize("version", [3, 8, 9, 11])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_truncated_requests_raise_decode_error(version: int, data: st.DataObject) -> None:
    raw = kio_request(version, "tx", 1, 100, [("topic", [(0, b"r" * 40), (1, None)])])
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(DecodeError):
        decode_produce_request(version, memoryview(raw[:cut]), 0)


@pytest.mark.parametrize("version", [2, 13])
def test_unsupported_versions(version: int) -> None:
    with pytest.raises(KafkaError):
        decode_produce_request(version, memoryview(b""), 0)
    with pytest.raises(KafkaError):
        encode_produce_response(version, [], 0)


def test_struct_errors_are_wrapped() -> None:
    with pytest.raises(DecodeError):
        decode_produce_request(3, memoryview(b"\xff\xff" + struct.pack(">h", 1)), 0)
