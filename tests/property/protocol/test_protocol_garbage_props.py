"""Bad input: corrupted or truncated bodies only ever raise DecodeError (or KafkaError)."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_kio_build import make, ms, req_module

from odradek.common.errors import KafkaError
from odradek.protocol import kio_codec
from odradek.protocol.fetch import decode_fetch_request
from odradek.protocol.header import decode_request_header
from odradek.protocol.produce import decode_produce_request

SETTINGS = settings(max_examples=150, deadline=None)


def produce_body(version: int) -> bytes:
    mod = req_module(0, version)
    parts = (
        mod.PartitionProduceData(index=0, records=b"r" * 70),
        mod.PartitionProduceData(index=1, records=None),
    )
    entity = mod.ProduceRequest(
        transactional_id="tx",
        acks=-1,
        timeout=ms(1000),
        topic_data=(mod.TopicProduceData(name="orders", partition_data=parts),),
    )
    return kio_codec.encode_request(entity)


def fetch_body(version: int) -> bytes:
    mod = req_module(1, version)
    part = make(mod.FetchPartition, partition=0, fetch_offset=5, partition_max_bytes=1 << 20)
    topic = make(mod.FetchTopic, topic="orders", topic_id=uuid.UUID(int=3), partitions=(part,))
    entity = make(
        mod.FetchRequest,
        max_wait=ms(500),
        min_bytes=1,
        topics=(topic,),
        forgotten_topics_data=(),
    )
    return kio_codec.encode_request(entity)


@st.composite
def corrupt(draw: st.DrawFn, raw: bytes) -> bytes:
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut])


@pytest.mark.parametrize("version", [3, 7, 9, 11])
@SETTINGS
@given(data=st.data())
def test_produce_garbage(version: int, data: st.DataObject) -> None:
    raw = data.draw(corrupt(produce_body(version)))
    try:
        view = decode_produce_request(version, memoryview(raw), 0)
    except KafkaError:
        return
    for topic in view.topics:
        for part in topic.partitions:
            assert part.records is None or len(part.records) <= len(raw)


@pytest.mark.parametrize("version", [4, 11, 12, 16])
@SETTINGS
@given(data=st.data())
def test_fetch_garbage(version: int, data: st.DataObject) -> None:
    raw = data.draw(corrupt(fetch_body(version)))
    with contextlib.suppress(KafkaError):
        decode_fetch_request(version, memoryview(raw), 0)


@SETTINGS
@given(st.binary(max_size=40))
def test_header_garbage(raw: bytes) -> None:
    try:
        hdr, off = decode_request_header(memoryview(raw))
    except KafkaError:
        return
    assert 8 <= off <= len(raw)
    assert hdr.header_version in (0, 1, 2)
