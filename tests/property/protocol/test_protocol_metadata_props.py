"""Metadata response encoder equals kio byte for byte, versions 0..13; request via kio."""

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
from odradek.protocol.metadata import (
    MetadataPartition,
    MetadataTopic,
    decode_metadata_request,
    encode_metadata_response,
)

VERSIONS = list(range(0, 14))
SETTINGS = settings(max_examples=40, deadline=None)

i32 = st.integers(-(2**31), 2**31 - 1)
names = st.text(min_size=1, max_size=12)
codes = st.sampled_from([int(c) for c in KioErrorCode])
node_lists = st.lists(st.integers(0, 2000), max_size=5)

partitions = st.builds(MetadataPartition, codes, i32, i32, i32, node_lists, node_lists, node_lists)
brokers = st.lists(st.tuples(i32, names, i32, st.none() | names), max_size=4)


@st.composite
def topics(draw: st.DrawFn, version: int) -> MetadataTopic:
    name = draw(st.none() | names) if version >= 12 else draw(names)
    return MetadataTopic(
        draw(codes),
        name,
        draw(st.uuids()),
        draw(st.booleans()),
        draw(st.lists(partitions, max_size=4)),
        draw(i32),
    )


def kio_response(version: int, args: dict[str, Any]) -> bytes:
    mod = resp_module(3, version)
    entity = make(
        mod.MetadataResponse,
        throttle_time=ms(args["throttle"]),
        brokers=tuple(
            make(mod.MetadataResponseBroker, node_id=n, host=h, port=p, rack=r)
            for n, h, p, r in args["brokers"]
        ),
        cluster_id=args["cluster_id"],
        controller_id=args["controller_id"],
        topics=tuple(
            make(
                mod.MetadataResponseTopic,
                error_code=err(t.error_code),
                name=t.name,
                topic_id=t.topic_id,
                is_internal=t.is_internal,
                partitions=tuple(
                    make(
                        mod.MetadataResponsePartition,
                        error_code=err(p.error_code),
                        partition_index=p.index,
                        leader_id=p.leader_id,
                        leader_epoch=p.leader_epoch,
                        replica_nodes=tuple(p.replicas),
                        isr_nodes=tuple(p.isr),
                        offline_replicas=tuple(p.offline_replicas),
                    )
                    for p in t.partitions
                ),
                topic_authorized_operations=t.topic_authorized_operations,
            )
            for t in args["topics"]
        ),
        cluster_authorized_operations=args["cluster_ops"],
        error_code=err(args["error_code"]),
    )
    return kio_codec.encode_response(entity)


@pytest.mark.parametrize("version", VERSIONS)
@SETTINGS
@given(data=st.data())
def test_encode_matches_kio(version: int, data: st.DataObject) -> None:
    args = {
        "throttle": data.draw(st.integers(0, 2**31 - 1)),
        "brokers": data.draw(brokers),
        "cluster_id": data.draw(st.none() | names),
        "controller_id": data.draw(i32),
        "topics": data.draw(st.lists(topics(version), max_size=4)),
        "cluster_ops": data.draw(i32),
        "error_code": data.draw(codes),
    }
    ours = encode_metadata_response(
        version,
        args["throttle"],
        args["brokers"],
        args["cluster_id"],
        args["controller_id"],
        args["topics"],
        args["cluster_ops"],
        args["error_code"],
    )
    assert ours == kio_response(version, args)


@pytest.mark.parametrize("version", VERSIONS)
def test_request_decode_via_kio(version: int) -> None:
    mod = req_module(3, version)
    topic = make(mod.MetadataRequestTopic, name="orders", topic_id=uuid.UUID(int=7))
    entity = make(
        mod.MetadataRequest,
        topics=(topic,),
        allow_auto_topic_creation=False,
        include_cluster_authorized_operations=False,
        include_topic_authorized_operations=True,
    )
    raw = b"hh" + kio_codec.encode_request(entity)
    assert decode_metadata_request(version, memoryview(raw), 2) == entity


def test_unsupported() -> None:
    with pytest.raises(KafkaError):
        encode_metadata_response(14, 0, [], None, -1, [])
