"""Transactions with confluent-kafka: commit, abort, timeout-abort; read_committed consumers of
confluent-kafka, kafka-python and aiokafka see only committed records, in order."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaException, Producer

from odradek.testing.process import BrokerProcess

from .eos_helpers import create_topic, read_values, start_broker

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def eos_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    proc = start_broker(tmp_path_factory.mktemp("eos") / "data")
    yield proc
    proc.stop()


def _producer(broker: BrokerProcess, txn_id: str, **extra: object) -> Producer:
    p = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": txn_id, **extra})
    p.init_transactions(20)
    return p


def _send(p: Producer, topic: str, values: list[bytes], partitions: int = 1) -> None:
    for i, v in enumerate(values):
        p.produce(topic, v, partition=i % partitions)


@pytest.fixture(scope="module")
def mixed_topic(eos_broker: BrokerProcess) -> tuple[str, list[bytes]]:
    """Committed, aborted, committed, hanging-then-aborted and committed transactions."""
    topic = f"txn-{uuid.uuid4().hex[:6]}"
    create_topic(eos_broker.bootstrap, topic, 2)
    p = _producer(eos_broker, "mixed-1")
    expected: list[bytes] = []
    for round_no, commit in enumerate([True, False, True, False, True]):
        values = [f"r{round_no}-{i}".encode() for i in range(20)]
        p.begin_transaction()
        _send(p, topic, values, 2)
        if commit:
            p.commit_transaction(20)
            expected += values
        else:
            p.flush(10)
            p.abort_transaction(20)
    # an idempotent, non-transactional producer interleaves too
    q = Producer({"bootstrap.servers": eos_broker.bootstrap, "enable.idempotence": True})
    plain = [f"plain-{i}".encode() for i in range(4)]
    _send(q, topic, plain, 2)
    assert q.flush(10) == 0
    return topic, expected + plain


def _by_partition(values: list[bytes]) -> list[bytes]:
    """Expected order when reading partition 0 fully, then partition 1."""
    firsts = [v for i, v in enumerate(values) if _partition_of(v, i) == 0]
    return firsts + [v for i, v in enumerate(values) if _partition_of(v, i) == 1]


def _partition_of(value: bytes, _i: int) -> int:
    return int(value.rsplit(b"-", 1)[1]) % 2


def test_confluent_read_committed(
    eos_broker: BrokerProcess, mixed_topic: tuple[str, list[bytes]]
) -> None:
    topic, expected = mixed_topic
    got = read_values(eos_broker.bootstrap, topic, len(expected), partitions=2)
    assert got == _by_partition(expected)
    everything = read_values(eos_broker.bootstrap, topic, 104, partitions=2, committed=False)
    assert len(everything) == 104  # read_uncommitted sees the aborted records too


def test_kafka_python_read_committed(
    eos_broker: BrokerProcess, mixed_topic: tuple[str, list[bytes]]
) -> None:
    from kafka import KafkaConsumer, TopicPartition

    topic, expected = mixed_topic
    c = KafkaConsumer(
        bootstrap_servers=eos_broker.bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    c.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
    c.seek_to_beginning()
    got: dict[int, list[bytes]] = {0: [], 1: []}
    deadline = time.monotonic() + 20
    while sum(map(len, got.values())) < len(expected) and time.monotonic() < deadline:
        for tp, msgs in c.poll(500).items():
            got[tp.partition] += [m.value for m in msgs]
    time.sleep(0.5)
    for tp, msgs in c.poll(500).items():
        got[tp.partition] += [m.value for m in msgs]
    c.close()
    assert got[0] + got[1] == _by_partition(expected)


def test_aiokafka_read_committed(
    eos_broker: BrokerProcess, mixed_topic: tuple[str, list[bytes]]
) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    topic, expected = mixed_topic

    async def run() -> dict[int, list[bytes]]:
        c = AIOKafkaConsumer(
            bootstrap_servers=eos_broker.bootstrap,
            isolation_level="read_committed",
            enable_auto_commit=False,
        )
        await c.start()
        got: dict[int, list[bytes]] = {0: [], 1: []}
        try:
            c.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
            await c.seek_to_beginning()
            deadline = time.monotonic() + 20
            while sum(map(len, got.values())) < len(expected) and time.monotonic() < deadline:
                batch = await c.getmany(timeout_ms=500)
                for tp, msgs in batch.items():
                    got[tp.partition] += [m.value for m in msgs]  # type: ignore[misc]
            batch = await c.getmany(timeout_ms=500)
            for tp, msgs in batch.items():
                got[tp.partition] += [m.value for m in msgs]  # type: ignore[misc]
        finally:
            await c.stop()
        return got

    got = asyncio.run(run())
    assert got[0] + got[1] == _by_partition(expected)


def test_open_transaction_holds_back_read_committed(eos_broker: BrokerProcess) -> None:
    topic = f"txn-open-{uuid.uuid4().hex[:6]}"
    create_topic(eos_broker.bootstrap, topic)
    p = _producer(eos_broker, f"open-{topic}")
    p.begin_transaction()
    _send(p, topic, [b"pending-1", b"pending-2"])
    p.flush(10)
    q = Producer({"bootstrap.servers": eos_broker.bootstrap})
    q.produce(topic, b"after")
    q.flush(10)
    assert read_values(eos_broker.bootstrap, topic, 1, timeout_s=2) == []
    assert read_values(eos_broker.bootstrap, topic, 3, committed=False, timeout_s=5) == [
        b"pending-1",
        b"pending-2",
        b"after",
    ]
    p.commit_transaction(20)
    assert read_values(eos_broker.bootstrap, topic, 3) == [b"pending-1", b"pending-2", b"after"]


def test_transaction_timeout_aborts(eos_broker: BrokerProcess) -> None:
    topic = f"txn-timeout-{uuid.uuid4().hex[:6]}"
    create_topic(eos_broker.bootstrap, topic)
    p = _producer(eos_broker, f"slow-{topic}", **{"transaction.timeout.ms": 1500})
    p.begin_transaction()
    _send(p, topic, [b"late-1", b"late-2"])
    p.flush(10)
    time.sleep(3.5)
    with pytest.raises(KafkaException):
        p.commit_transaction(20)
    q = Producer({"bootstrap.servers": eos_broker.bootstrap})
    q.produce(topic, b"after")
    q.flush(10)
    assert read_values(eos_broker.bootstrap, topic, 1) == [b"after"]


def test_zombie_producer_is_fenced(eos_broker: BrokerProcess) -> None:
    topic = f"txn-zombie-{uuid.uuid4().hex[:6]}"
    create_topic(eos_broker.bootstrap, topic)
    old = _producer(eos_broker, f"zombie-{topic}")
    old.begin_transaction()
    _send(old, topic, [b"zombie"])
    old.flush(10)
    new = _producer(eos_broker, f"zombie-{topic}")  # fences and aborts the open transaction
    new.begin_transaction()
    _send(new, topic, [b"fresh"])
    new.commit_transaction(20)
    with pytest.raises(KafkaException):
        old.commit_transaction(10)
    assert read_values(eos_broker.bootstrap, topic, 1) == [b"fresh"]
