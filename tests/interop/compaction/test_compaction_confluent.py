"""confluent-kafka against a compacting broker: 100 k updates over 1 k keys are cleaned down to
the latest value per key; ``odradek configs`` switches a topic to compact, after which keyless
records are refused."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import TopicPartition as KafkaTopicPartition

from odradek.testing.process import BrokerProcess

pytestmark = pytest.mark.interop

KEYS = 1_000
UPDATES = 100_000


@pytest.fixture()
def compacting_broker(tmp_path: Path) -> Iterator[BrokerProcess]:
    proc = BrokerProcess(
        tmp_path / "data",
        props={"log.cleaner.backoff.ms": "200", "group.initial.rebalance.delay.ms": "0"},
    ).start()
    yield proc
    proc.stop()


def _create(broker: BrokerProcess, name: str, **configs: str) -> None:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(name, 1, 1, config=configs)])[name].result(10)


def _read_all(broker: BrokerProcess, topic: str, end: int) -> list[tuple[bytes, bytes, int]]:
    c = Consumer(
        {"bootstrap.servers": broker.bootstrap, "group.id": "unused", "enable.auto.commit": False}
    )
    c.assign([TopicPartition(topic, 0, 0)])
    out: list[tuple[bytes, bytes, int]] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            msgs = c.consume(10_000, 0.5)
            for m in msgs:
                assert m.error() is None, m.error()
                out.append((m.key(), m.value(), m.offset()))
            if out and out[-1][2] >= end - 1:
                break
    finally:
        c.close()
    return out


def _unique_below(got: list[tuple[bytes, bytes, int]], cut: int) -> bool:
    cleaned = [k for k, _v, o in got if o < cut]
    return len(set(cleaned)) == len(cleaned) <= KEYS


def _read_with_kafka_python(broker: BrokerProcess, topic: str) -> dict[bytes, bytes]:
    """kafka-python decodes the cleaned (re-built, re-compressed) batches with its own codecs."""
    from kafka import KafkaConsumer

    c = KafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3_000,
    )
    c.assign([KafkaTopicPartition(topic, 0)])
    out: dict[bytes, bytes] = {}
    try:
        for m in c:
            out[m.key] = m.value
            if m.offset >= UPDATES - 1:
                break
    finally:
        c.close()
    return out


@pytest.mark.parametrize("codec", ["none", "lz4", "zstd", "snappy", "gzip"])
def test_100k_updates_over_1k_keys_are_compacted(
    compacting_broker: BrokerProcess, codec: str
) -> None:
    topic = f"compacted-{codec}-{uuid.uuid4().hex[:8]}"
    _create(
        compacting_broker,
        topic,
        **{
            "cleanup.policy": "compact",
            "segment.bytes": "65536",
            "min.cleanable.dirty.ratio": "0.01",
        },
    )
    p = Producer(
        {
            "bootstrap.servers": compacting_broker.bootstrap,
            "linger.ms": 20,
            "batch.size": 16_384,
            "compression.type": codec,
            "queue.buffering.max.messages": 200_000,
        }
    )
    want: dict[bytes, bytes] = {}
    for i in range(UPDATES):
        key, value = b"key-%04d" % (i % KEYS), b"value-%06d" % i
        p.produce(topic, value, key)
        want[key] = value
        if i % 10_000 == 0:
            p.poll(0)
    assert p.flush(60) == 0
    # uncompressed, a 64 KB active segment holds ~2 k records; compressed ones hold far more
    bound = 4 * KEYS if codec == "none" else UPDATES // 4
    deadline = time.monotonic() + 60
    got: list[tuple[bytes, bytes, int]] = []
    while time.monotonic() < deadline:
        got = _read_all(compacting_broker, topic, UPDATES)
        if len(got) < bound and _unique_below(got, UPDATES - bound):
            break
        time.sleep(1)
    assert got and got[-1][2] == UPDATES - 1  # the last offset is never cleaned away
    assert len(got) < bound, f"{len(got)} records after cleaning"
    offsets = [o for _k, _v, o in got]
    assert offsets == sorted(set(offsets))
    latest = {k: v for k, v, _o in got}
    assert latest == want
    assert _unique_below(got, UPDATES - bound)  # the cleaned part has one record per key
    assert _read_with_kafka_python(compacting_broker, topic) == want


def test_keyless_records_are_refused_after_switching_to_compact(
    compacting_broker: BrokerProcess,
) -> None:
    topic = f"switch-{uuid.uuid4().hex[:8]}"
    _create(compacting_broker, topic)
    admin = AdminClient({"bootstrap.servers": compacting_broker.bootstrap})
    p = Producer({"bootstrap.servers": compacting_broker.bootstrap, "acks": "all"})
    p.produce(topic, b"no key is fine under delete")
    assert p.flush(10) == 0
    tool = [sys.executable, "-m", "odradek.cli", "configs", "--bootstrap-server"]
    tool += [compacting_broker.bootstrap, "--topic", topic]
    alter = subprocess.run(
        [*tool, "--alter", "--add-config", "cleanup.policy=compact"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert alter.returncode == 0, alter.stderr
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    described = admin.describe_configs([res])[res].result(10)
    assert described["cleanup.policy"].value == "compact"
    errors: list[object] = []
    p.produce(topic, b"keyless", on_delivery=lambda err, _m: errors.append(err))
    p.flush(10)
    p.produce(topic, b"keyed", b"k", on_delivery=lambda err, _m: errors.append(err))
    p.flush(10)
    assert len(errors) == 2
    assert errors[0] is not None and "INVALID_RECORD" in str(errors[0])
    assert errors[1] is None
