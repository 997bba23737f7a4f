"""Real Kafka clients against an endpoint built from our codecs: they produce and read back,
and every frame they sent decodes identically with our codecs and with kio."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator

import aiokafka
import confluent_kafka
import kafka
import pytest
from protocol_fake_broker import TOPIC, FakeBroker

from odradek.protocol import fetch, kio_codec, produce
from odradek.protocol.header import decode_request_header


@pytest.fixture()
def fake() -> Iterator[FakeBroker]:
    broker = FakeBroker()
    yield broker
    broker.close()


def check_frames(fake: FakeBroker) -> set[tuple[int, int]]:
    """Re-decode every captured Produce/Fetch frame with ours and kio; return (key, version)s."""
    seen = set()
    for key, version, body in list(fake.frames):
        seen.add((key, version))
        buf = memoryview(body)
        hdr, off = decode_request_header(buf)
        assert (hdr.api_key, hdr.api_version) == (key, version)
        # golden bytes: kio decodes the body and re-encodes it byte for byte
        entity = kio_codec.decode_request(key, version, buf, off)
        assert kio_codec.encode_request(entity) == body[off:]
        if key == 0:
            ours = produce.decode_produce_request(version, buf, off)
            theirs = kio_codec.decode_request(0, version, buf, off)
            assert ours.acks == theirs.acks
            assert [
                (t.name, [(p.index, bytes(p.records or b"")) for p in t.partitions])
                for t in ours.topics
            ] == [
                (t.name, [(p.index, bytes(p.records or b"")) for p in t.partition_data])
                for t in theirs.topic_data
            ]
        elif key == 1:
            view = fetch.decode_fetch_request(version, buf, off)
            assert view.topics and all(t.partitions for t in view.topics)
    return seen


def test_confluent_kafka(fake: FakeBroker) -> None:
    bootstrap = f"127.0.0.1:{fake.port}"
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for i in range(3):
        producer.produce(TOPIC, value=f"v{i}".encode(), key=b"k", partition=0)
    assert producer.flush(15) == 0
    consumer = confluent_kafka.Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "g", "enable.auto.commit": False}
    )
    consumer.assign([confluent_kafka.TopicPartition(TOPIC, 0, 0)])
    values = []
    for _ in range(100):
        msg = consumer.poll(0.2)
        if msg is not None and msg.error() is None:
            values.append(msg.value())
        if len(values) == 3:
            break
    consumer.close()
    assert values == [b"v0", b"v1", b"v2"]
    # librdkafka 2.16: flexible Produce, Fetch by topic id (v13+), Metadata v12
    assert {(0, 10), (1, 16), (3, 12), (18, 3)} <= check_frames(fake)


def test_kafka_python(fake: FakeBroker) -> None:
    bootstrap = f"127.0.0.1:{fake.port}"
    producer = kafka.KafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    for i in range(3):
        producer.send(TOPIC, value=f"p{i}".encode(), partition=0).get(timeout=15)
    producer.close(5)
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=5000)
    tp = kafka.TopicPartition(TOPIC, 0)
    consumer.assign([tp])
    consumer.seek(tp, 0)
    values = [m.value for _, m in zip(range(3), consumer, strict=False)]
    consumer.close()
    assert values == [b"p0", b"p1", b"p2"]
    # kafka-python 3.0: flexible Produce and Fetch by topic name
    assert {(0, 9), (1, 12), (3, 12), (18, 4)} <= check_frames(fake)


def test_aiokafka(fake: FakeBroker) -> None:
    bootstrap = f"127.0.0.1:{fake.port}"

    async def run() -> list[bytes]:
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for i in range(3):
                await producer.send_and_wait(TOPIC, f"a{i}".encode(), partition=0)
        finally:
            await producer.stop()
        consumer = aiokafka.AIOKafkaConsumer(bootstrap_servers=bootstrap)
        tp = aiokafka.TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        await consumer.start()
        try:
            consumer.seek(tp, 0)
            out = []
            async with asyncio.timeout(15):
                while len(out) < 3:
                    msg = await consumer.getone()
                    out.append(msg.value)
            return out
        finally:
            await consumer.stop()

    assert asyncio.run(run()) == [b"a0", b"a1", b"a2"]
    # aiokafka 0.14: classic (non-flexible) versions
    assert {(0, 7), (1, 11), (3, 5), (18, 0)} <= check_frames(fake)


def test_kcat(fake: FakeBroker) -> None:
    bootstrap = f"127.0.0.1:{fake.port}"
    produced = subprocess.run(
        ["kcat", "-P", "-b", bootstrap, "-t", TOPIC, "-p", "0"],
        input=b"c0\nc1\nc2\n",
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert produced.returncode == 0, produced.stderr
    consumed = subprocess.run(
        ["kcat", "-C", "-b", bootstrap, "-t", TOPIC, "-p", "0", "-o", "0", "-c", "3"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert consumed.returncode == 0, consumed.stderr
    assert consumed.stdout.split() == [b"c0", b"c1", b"c2"]
    # kcat 1.7 on Debian's librdkafka 2.0: classic Produce/Fetch, Metadata v4
    assert {(0, 7), (1, 11), (3, 4), (18, 3)} <= check_frames(fake)
