"""kafka-python, aiokafka and kcat against a real broker: keys, headers, timestamps, codecs."""

from __future__ import annotations

import asyncio
import subprocess
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from odradek.testing.process import BrokerProcess

pytestmark = pytest.mark.interop

CODECS = [None, "gzip", "snappy", "lz4", "zstd"]


def _topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python_roundtrip(broker: BrokerProcess, codec: str | None) -> None:
    topic = _topic("kp")
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(topic, 2, 1)])
    admin.close()
    producer = KafkaProducer(
        bootstrap_servers=broker.bootstrap, compression_type=codec, linger_ms=5, acks="all"
    )
    futures = [
        producer.send(
            topic,
            value=b"v%d" % i,
            key=b"k%d" % i,
            partition=i % 2,
            headers=[("n", str(i).encode())],
            timestamp_ms=1_700_000_000_000 + i,
        )
        for i in range(200)
    ]
    producer.flush(20)
    metas = [f.get(10) for f in futures]
    assert sorted(m.offset for m in metas if m.partition == 0) == list(range(100))
    producer.close()
    consumer = KafkaConsumer(
        bootstrap_servers=broker.bootstrap, enable_auto_commit=False, consumer_timeout_ms=5000
    )
    consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
    consumer.seek_to_beginning()
    got = []
    for msg in consumer:
        got.append(msg)
        if len(got) == 200:
            break
    consumer.close()
    assert len(got) == 200
    by_key = {m.key: m for m in got}
    m7 = by_key[b"k7"]
    assert m7.value == b"v7" and m7.partition == 1 and m7.timestamp == 1_700_000_000_007
    assert m7.headers == [("n", b"7")]


@pytest.mark.parametrize("codec", CODECS)
def test_aiokafka_roundtrip(broker: BrokerProcess, codec: str | None) -> None:
    topic = _topic("aio")

    async def run() -> list:
        producer = AIOKafkaProducer(
            bootstrap_servers=broker.bootstrap, compression_type=codec, linger_ms=5
        )
        await producer.start()
        try:
            for i in range(100):
                await producer.send(
                    topic,
                    b"v%d" % i,
                    key=b"k%d" % i,
                    headers=[("n", str(i).encode())],
                    timestamp_ms=1_700_000_000_000 + i,
                )
            await producer.flush()
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=broker.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        got = []
        try:
            async with asyncio.timeout(20):
                while len(got) < 100:
                    batch = await consumer.getmany(timeout_ms=500)
                    for msgs in batch.values():
                        got.extend(msgs)
        finally:
            await consumer.stop()
        return got

    got = asyncio.run(run())
    assert [m.value for m in got] == [b"v%d" % i for i in range(100)]
    assert [m.offset for m in got] == list(range(100))
    assert got[3].key == b"k3" and got[3].timestamp == 1_700_000_000_003
    assert list(got[3].headers) == [("n", b"3")]


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_kcat_produce_consume(broker: BrokerProcess, codec: str) -> None:
    topic = _topic("kcat")
    lines = "".join(f"key{i}:value{i}\n" for i in range(50))
    subprocess.run(
        [
            "kcat",
            "-b",
            broker.bootstrap,
            "-t",
            topic,
            "-P",
            "-K",
            ":",
            "-z",
            codec,
            "-H",
            "origin=kcat",
        ],
        input=lines.encode(),
        check=True,
        timeout=30,
    )
    out = (
        subprocess.run(
            [
                "kcat",
                "-b",
                broker.bootstrap,
                "-t",
                topic,
                "-C",
                "-e",
                "-o",
                "beginning",
                "-f",
                "%o|%k|%s|%h\n",
            ],
            capture_output=True,
            check=True,
            timeout=30,
        )
        .stdout.decode()
        .splitlines()
    )
    assert out[0] == "0|key0|value0|origin=kcat"
    assert out[49] == "49|key49|value49|origin=kcat"
    assert len(out) == 50
