"""confluent-kafka (librdkafka) against a real broker: produce/consume, codecs, admin, offsets."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

from odradek.testing.process import BrokerProcess

pytestmark = pytest.mark.interop


def _topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _admin(broker: BrokerProcess) -> AdminClient:
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def _create(broker: BrokerProcess, name: str, partitions: int = 1, **configs: str) -> None:
    admin = _admin(broker)
    fs = admin.create_topics([NewTopic(name, partitions, 1, config=configs)])
    fs[name].result(10)


def _consume_all(
    broker: BrokerProcess,
    topic: str,
    count: int,
    partitions: int = 1,
    extra: dict[str, object] | None = None,
) -> list:
    c = Consumer(
        {
            "bootstrap.servers": broker.bootstrap,
            "group.id": "unused",
            "enable.auto.commit": False,
            **(extra or {}),
        }
    )
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = []
    deadline = time.monotonic() + 20
    while len(out) < count and time.monotonic() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            continue
        assert msg.error() is None, msg.error()
        out.append(msg)
    c.close()
    return out


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_produce_consume_every_codec(broker: BrokerProcess, codec: str) -> None:
    topic = _topic(f"codec-{codec}")
    _create(broker, topic)
    p = Producer(
        {
            "bootstrap.servers": broker.bootstrap,
            "compression.type": codec,
            "linger.ms": 5,
            "acks": "all",
        }
    )
    sent = []
    for i in range(500):
        key, value = f"k{i}".encode(), f"value-{i}-".encode() * 5
        p.produce(
            topic, value, key, headers=[("h", str(i).encode())], timestamp=1_700_000_000_000 + i
        )
        sent.append((key, value))
    assert p.flush(20) == 0
    got = _consume_all(broker, topic, len(sent))
    assert [(m.key(), m.value()) for m in got] == sent
    assert [m.offset() for m in got] == list(range(len(sent)))
    assert got[7].headers() == [("h", b"7")]
    assert got[7].timestamp()[1] == 1_700_000_000_007


def test_delivery_reports_offsets_and_multi_partition(broker: BrokerProcess) -> None:
    topic = _topic("multi")
    _create(broker, topic, partitions=3)
    p = Producer({"bootstrap.servers": broker.bootstrap, "acks": 1})
    reports: list = []
    for i in range(300):
        p.produce(
            topic,
            b"v%d" % i,
            partition=i % 3,
            on_delivery=lambda err, msg: reports.append((err, msg.partition(), msg.offset())),
        )
    assert p.flush(20) == 0
    assert all(err is None for err, _, _ in reports)
    for part in range(3):
        assert sorted(o for _, pp, o in reports if pp == part) == list(range(100))
    got = _consume_all(broker, topic, 300, partitions=3)
    assert len(got) == 300


def test_admin_topics_configs_partitions(broker: BrokerProcess) -> None:
    admin = _admin(broker)
    topic = _topic("admin")
    admin.create_topics([NewTopic(topic, 2, 1, config={"retention.ms": "123456"})])[topic].result(
        10
    )
    md = admin.list_topics(timeout=10)
    assert len(md.topics[topic].partitions) == 2
    # duplicate creation fails with TOPIC_ALREADY_EXISTS
    with pytest.raises(KafkaException) as err:
        admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(10)
    assert err.value.args[0].name() == "TOPIC_ALREADY_EXISTS"
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([res])[res].result(10)
    assert configs["retention.ms"].value == "123456"
    assert configs["cleanup.policy"].value == "delete"
    admin.create_partitions([NewPartitions(topic, 4)])[topic].result(10)
    assert len(admin.list_topics(timeout=10).topics[topic].partitions) == 4
    admin.delete_topics([topic])[topic].result(10)
    assert topic not in admin.list_topics(timeout=10).topics


def test_invalid_topic_name_rejected(broker: BrokerProcess) -> None:
    admin = _admin(broker)
    with pytest.raises(KafkaException) as err:
        admin.create_topics([NewTopic("bad/name", 1, 1)])["bad/name"].result(10)
    assert err.value.args[0].code() == 17  # INVALID_TOPIC_EXCEPTION


def test_offsets_for_times_and_watermarks(broker: BrokerProcess) -> None:
    topic = _topic("times")
    _create(broker, topic)
    p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    base = 1_800_000_000_000
    for i in range(10):
        p.produce(topic, b"x", timestamp=base + i * 1000)
        p.flush(10)
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "t"})
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    assert (lo, hi) == (0, 10)
    found = c.offsets_for_times([TopicPartition(topic, 0, base + 4500)], timeout=10)
    assert found[0].offset == 5
    past_end = c.offsets_for_times([TopicPartition(topic, 0, base + 99_000)], timeout=10)
    assert past_end[0].offset == -1
    c.close()
