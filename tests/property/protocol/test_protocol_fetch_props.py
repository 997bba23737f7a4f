"""Fetch request view and response buffer list agree with kio for every version 4..16."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kio.schema.errors import ErrorCode as KioErrorCode
from protocol_kio_build import err, make, ms, req_module, resp_module

from odradek.common.errors import KafkaError
from odradek.protocol import kio_codec
from odradek.protocol.fetch import (
    FetchPartitionResult,
    FetchTopicResult,
    decode_fetch_request,
    encode_fetch_response,
)
from odradek.protocol.fetch_response import decode_fetch_response
from odradek.protocol.primitives import DecodeError
from odradek.protocol.tagged import NodeEndpoint

VERSIONS = list(range(4, 17))
SETTINGS = settings(max_examples=40, deadline=None)

i32 = st.integers(-(2**31), 2**31 - 1)
i64 = st.integers(-(2**63), 2**63 - 1)
names = st.text(min_size=1, max_size=12)
codes = st.sampled_from([int(c) for c in KioErrorCode])
uuids = st.uuids()
pair32 = st.none() | st.tuples(i32, i32)


@st.composite
def fetch_requests(draw: st.DrawFn) -> dict[str, Any]:
    part = st.fixed_dictionaries(
        {
            "partition": i32,
            "current_leader_epoch": i32,
            "fetch_offset": i64,
            "last_fetched_epoch": i32,
            "log_start_offset": i64,
            "partition_max_bytes": i32,
        }
    )
    topic = st.tuples(names, uuids, st.lists(part, max_size=3))
    return {
        "replica_id": draw(i32),
        "replica_epoch": draw(i64),
        "max_wait_ms": draw(st.integers(0, 2**31 - 1)),
        "min_bytes": draw(i32),
        "max_bytes": draw(i32),
        "isolation_level": draw(st.sampled_from([0, 1])),
        "session_id": draw(i32),
        "session_epoch": draw(i32),
        "topics": draw(st.lists(topic, max_size=3)),
        "forgotten": draw(st.lists(st.tuples(names, uuids, st.lists(i32, max_size=3)), max_size=2)),
        "rack_id": draw(st.text(max_size=8)),
        "cluster_id": draw(st.none() | names),
    }


def kio_fetch_request(version: int, d: dict[str, Any]) -> bytes:
    mod = req_module(1, version)
    topics = tuple(
        make(
            mod.FetchTopic,
            topic=name,
            topic_id=tid,
            partitions=tuple(make(mod.FetchPartition, **p) for p in parts),
        )
        for name, tid, parts in d["topics"]
    )
    forgotten = (
        tuple(
            make(mod.ForgottenTopic, topic=name, topic_id=tid, partitions=tuple(ps))
            for name, tid, ps in d["forgotten"]
        )
        if version >= 7
        else ()
    )
    extra: dict[str, object] = {}
    if version >= 15:
        extra["replica_state"] = mod.ReplicaState(
            replica_id=d["replica_id"], replica_epoch=d["replica_epoch"]
        )
    entity = make(
        mod.FetchRequest,
        replica_id=d["replica_id"],
        max_wait=ms(d["max_wait_ms"]),
        min_bytes=d["min_bytes"],
        max_bytes=d["max_bytes"],
        isolation_level=d["isolation_level"],
        session_id=d["session_id"],
        session_epoch=d["session_epoch"],
        topics=topics,
        forgotten_topics_data=forgotten,
        rack_id=d["rack_id"],
        cluster_id=d["cluster_id"],
        **extra,
    )
    return kio_codec.encode_request(entity)


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(d=fetch_requests())
def test_decode_request(version: int, d: dict[str, Any]) -> None:
    raw = b"hdr" + kio_fetch_request(version, d)
    view = decode_fetch_request(version, memoryview(raw), 3)
    assert view.replica_id == d["replica_id"]
    assert view.replica_epoch == (d["replica_epoch"] if version >= 15 else -1)
    assert (view.max_wait_ms, view.min_bytes, view.max_bytes) == (
        d["max_wait_ms"],
        d["min_bytes"],
        d["max_bytes"],
    )
    assert view.isolation_level == d["isolation_level"]
    if version >= 7:
        assert (view.session_id, view.session_epoch) == (d["session_id"], d["session_epoch"])
    else:
        assert (view.session_id, view.session_epoch) == (0, -1)
    assert view.rack_id == (d["rack_id"] if version >= 11 else "")
    assert view.cluster_id == (d["cluster_id"] if version >= 12 else None)
    by_id = version >= 13
    assert len(view.topics) == len(d["topics"])
    for got, (name, tid, parts) in zip(view.topics, d["topics"], strict=True):
        assert (got.name, got.topic_id) == ((None, tid) if by_id else (name, None))
        for gp, p in zip(got.partitions, parts, strict=True):
            assert gp.partition == p["partition"]
            assert gp.fetch_offset == p["fetch_offset"]
            assert gp.partition_max_bytes == p["partition_max_bytes"]
            assert gp.current_leader_epoch == (p["current_leader_epoch"] if version >= 9 else -1)
            assert gp.last_fetched_epoch == (p["last_fetched_epoch"] if version >= 12 else -1)
            assert gp.log_start_offset == (p["log_start_offset"] if version >= 5 else -1)
    expected_forgotten = d["forgotten"] if version >= 7 else []
    assert [(f.name, f.topic_id, f.partitions) for f in view.forgotten_topics] == [
        ((None, tid, ps) if by_id else (name, None, ps)) for name, tid, ps in expected_forgotten
    ]


@st.composite
def partition_results(draw: st.DrawFn) -> FetchPartitionResult:
    chunks = draw(st.none() | st.lists(st.binary(max_size=200), max_size=3))
    return FetchPartitionResult(
        index=draw(i32),
        error_code=draw(codes),
        high_watermark=draw(i64),
        last_stable_offset=draw(i64),
        log_start_offset=draw(i64),
        aborted_transactions=draw(st.none() | st.lists(st.tuples(i64, i64), max_size=2)),
        preferred_read_replica=draw(i32),
        records=None if chunks is None else [memoryview(c) for c in chunks],
        records_size=0 if chunks is None else sum(len(c) for c in chunks),
        diverging_epoch=draw(st.none() | st.tuples(i32, i64)),
        current_leader=draw(pair32),
        snapshot_id=draw(st.none() | st.tuples(i64, i32)),
    )


def kio_partition(mod: Any, version: int, p: FetchPartitionResult) -> object:
    kw: dict[str, Any] = {}
    if version < 12:
        pass
    elif p.diverging_epoch is not None:
        kw["diverging_epoch"] = mod.EpochEndOffset(
            epoch=p.diverging_epoch[0], end_offset=p.diverging_epoch[1]
        )
    if version >= 12 and p.current_leader is not None:
        kw["current_leader"] = mod.LeaderIdAndEpoch(
            leader_id=p.current_leader[0], leader_epoch=p.current_leader[1]
        )
    if version >= 12 and p.snapshot_id is not None:
        kw["snapshot_id"] = mod.SnapshotId(end_offset=p.snapshot_id[0], epoch=p.snapshot_id[1])
    aborted = p.aborted_transactions
    return make(
        mod.PartitionData,
        partition_index=p.index,
        error_code=err(p.error_code),
        high_watermark=p.high_watermark,
        last_stable_offset=p.last_stable_offset,
        log_start_offset=p.log_start_offset,
        aborted_transactions=None
        if aborted is None
        else tuple(mod.AbortedTransaction(producer_id=a, first_offset=b) for a, b in aborted),
        preferred_read_replica=p.preferred_read_replica,
        records=None if p.records is None else b"".join(p.records),
        **kw,
    )


endpoints = st.lists(st.builds(NodeEndpoint, i32, names, i32, st.none() | names), max_size=2)


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    throttle=st.integers(0, 2**31 - 1),
    error_code=codes,
    session_id=i32,
    topics=st.lists(
        st.builds(FetchTopicResult, names, uuids, st.lists(partition_results(), max_size=3)),
        max_size=3,
    ),
    eps=endpoints,
)
def test_encode_response(
    version: int,
    throttle: int,
    error_code: int,
    session_id: int,
    topics: list[FetchTopicResult],
    eps: list[NodeEndpoint],
) -> None:
    mod = resp_module(1, version)
    entity = make(
        mod.FetchResponse,
        throttle_time=ms(throttle),
        error_code=err(error_code),
        session_id=session_id,
        responses=tuple(
            make(
                mod.FetchableTopicResponse,
                topic=t.name,
                topic_id=t.topic_id,
                partitions=tuple(kio_partition(mod, version, p) for p in t.partitions),
            )
            for t in topics
        ),
        node_endpoints=tuple(
            mod.NodeEndpoint(node_id=e.node_id, host=e.host, port=e.port, rack=e.rack) for e in eps
        )
        if version >= 16
        else (),
    )
    buffers = encode_fetch_response(version, throttle, error_code, session_id, topics, eps)
    assert b"".join(buffers) == kio_codec.encode_response(entity)
    # record buffers are passed through as the very same objects, in order
    record_ids = [
        id(r)
        for t in topics
        for p in t.partitions
        if p.records and p.records_size
        for r in p.records
    ]
    passed = [id(b) for b in buffers if isinstance(b, memoryview)]
    assert passed == record_ids


def test_record_buffers_not_copied() -> None:
    big = memoryview(bytearray(b"\x07" * (1 << 20)))
    part = FetchPartitionResult(0, 0, 10, 10, 0, None, -1, [big], len(big))
    for version in (4, 11, 12, 16):
        bufs = encode_fetch_response(
            version, 0, 0, 0, [FetchTopicResult("t", uuid.uuid4(), [part])]
        )
        assert any(b is big for b in bufs)
        assert sum(len(b) for b in bufs) < len(big) + 200


@pytest.mark.parametrize("version", [3, 17])
def test_unsupported_versions(version: int) -> None:
    with pytest.raises(KafkaError):
        decode_fetch_request(version, memoryview(b""), 0)
    with pytest.raises(KafkaError):
        encode_fetch_response(version, 0, 0, 0, [])


def test_truncated_request_raises_decode_error() -> None:
    d = {
        "replica_id": -1, "replica_epoch": -1, "max_wait_ms": 500, "min_bytes": 1,
        "max_bytes": 1 << 20, "isolation_level": 0, "session_id": 0, "session_epoch": -1,
        "topics": [("t", uuid.uuid4(), [])], "forgotten": [], "rack_id": "", "cluster_id": None,
    }  # fmt: skip
    for version in (4, 12, 16):
        raw = kio_fetch_request(version, d)
        for cut in range(len(raw)):
            with pytest.raises(DecodeError):
                decode_fetch_request(version, memoryview(raw[:cut]), 0)


def _norm_tag(value: tuple[int, int] | None, version: int) -> tuple[int, int] | None:
    if version < 12 or value is None or tuple(value) == (-1, -1):
        return None
    return tuple(value)  # type: ignore[return-value]


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(
    throttle=st.integers(0, 2**31 - 1),
    error_code=codes,
    session_id=i32,
    topics=st.lists(
        st.builds(FetchTopicResult, names, uuids, st.lists(partition_results(), max_size=3)),
        max_size=3,
    ),
    eps=endpoints,
)
def test_response_decode_round_trip(
    version: int,
    throttle: int,
    error_code: int,
    session_id: int,
    topics: list[FetchTopicResult],
    eps: list[NodeEndpoint],
) -> None:
    raw = b"hd" + b"".join(
        encode_fetch_response(version, throttle, error_code, session_id, topics, eps)
    )
    view = decode_fetch_response(version, memoryview(raw), 2)
    assert view.throttle_time_ms == throttle
    assert (view.error_code, view.session_id) == (
        (error_code, session_id) if version >= 7 else (0, 0)
    )
    assert view.node_endpoints == (eps if version >= 16 else [])
    assert len(view.topics) == len(topics)
    for got_t, t in zip(view.topics, topics, strict=True):
        if version >= 13:
            assert (got_t.name, got_t.topic_id) == ("", t.topic_id)
        else:
            assert (got_t.name, got_t.topic_id) == (t.name, None)
        for g, p in zip(got_t.partitions, t.partitions, strict=True):
            assert (g.index, g.error_code, g.high_watermark, g.last_stable_offset) == (
                p.index,
                p.error_code,
                p.high_watermark,
                p.last_stable_offset,
            )
            assert g.log_start_offset == (p.log_start_offset if version >= 5 else -1)
            assert g.aborted_transactions == (
                None if p.aborted_transactions is None else list(p.aborted_transactions)
            )
            assert g.preferred_read_replica == (p.preferred_read_replica if version >= 11 else -1)
            if p.records is None:
                assert g.records is None
            else:
                assert g.records is not None and len(g.records) == 1
                assert bytes(g.records[0]) == b"".join(p.records)
                assert g.records[0].obj is raw  # zero copy
            assert g.diverging_epoch == _norm_tag(p.diverging_epoch, version)
            assert g.current_leader == _norm_tag(p.current_leader, version)
            assert g.snapshot_id == _norm_tag(p.snapshot_id, version)


@pytest.mark.parametrize("version", [4, 11, 12, 16])
def test_truncated_response_raises_decode_error(version: int) -> None:
    part = FetchPartitionResult(0, 0, 10, 10, 0, [(1, 2)], -1, [b"x" * 30], 30)
    topic = FetchTopicResult("t", uuid.uuid4(), [part])
    raw = b"".join(encode_fetch_response(version, 0, 0, 0, [topic]))
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_fetch_response(version, memoryview(raw[:cut]), 0)
