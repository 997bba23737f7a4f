"""Acknowledged writes survive kill -9; a clean restart keeps topics, configs and offsets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from odradek.testing.process import BrokerProcess

pytestmark = pytest.mark.interop


def _read(bootstrap: str, topic: str, partitions: int, expect: int) -> list[tuple[int, int, bytes]]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "x", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out: list[tuple[int, int, bytes]] = []
    deadline = time.monotonic() + 20
    while len(out) < expect and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            out.append((m.partition(), m.offset(), m.value()))
    c.close()
    return out


def test_acknowledged_writes_survive_kill9(tmp_path: Path) -> None:
    broker = BrokerProcess(tmp_path / "data").start()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic("durable", 3, 1, config={"retention.ms": "999999"})])[
        "durable"
    ].result(10)
    acked: dict[tuple[int, int], bytes] = {}

    def on_delivery(err: object, msg: object) -> None:
        if err is None:
            acked[(msg.partition(), msg.offset())] = msg.value()  # type: ignore[attr-defined]

    p = Producer(
        {
            "bootstrap.servers": broker.bootstrap,
            "acks": 1,
            "linger.ms": 2,
            "message.timeout.ms": 5000,
        }
    )
    for i in range(3000):
        p.produce("durable", b"value-%d" % i, partition=i % 3, on_delivery=on_delivery)
        if i % 500 == 0:
            p.poll(0)
    p.flush(20)
    assert len(acked) == 3000
    broker.kill9()
    restarted = BrokerProcess(tmp_path / "data", port=broker.port).start()
    try:
        got = _read(restarted.bootstrap, "durable", 3, len(acked))
        assert {(pp, o): v for pp, o, v in got} == acked
        res = ConfigResource(ConfigResource.Type.TOPIC, "durable")
        admin2 = AdminClient({"bootstrap.servers": restarted.bootstrap})
        assert admin2.describe_configs([res])[res].result(10)["retention.ms"].value == "999999"
        # new writes continue at the next offsets
        p2 = Producer({"bootstrap.servers": restarted.bootstrap})
        offsets: list[int] = []
        p2.produce(
            "durable", b"after", partition=0, on_delivery=lambda e, m: offsets.append(m.offset())
        )
        p2.flush(10)
        assert offsets == [1000]
    finally:
        restarted.stop()


def test_clean_restart_is_fast_path(tmp_path: Path) -> None:
    broker = BrokerProcess(tmp_path / "data").start()
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(100):
        p.produce("clean", b"%d" % i)
    p.flush(10)
    assert broker.stop() == 0
    assert "shut down cleanly" in broker.log_text()
    restarted = BrokerProcess(tmp_path / "data", port=broker.port).start()
    try:
        assert len(_read(restarted.bootstrap, "clean", 1, 100)) == 100
        assert "recovering" not in restarted.log_text().split("shut down cleanly")[-1]
    finally:
        restarted.stop()
