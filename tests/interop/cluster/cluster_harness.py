"""Helpers for cluster interop tests: waiting, admin calls, an acks=all producer that records
what was acknowledged, and reading partitions back from the beginning."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from odradek.broker.cluster_main import LocalCluster, ZkEnsemble, ZkServer

BROKER_PROPS = {
    "zookeeper.session.timeout.ms": "4000",
    "replica.lag.time.max.ms": "6000",
    "default.replication.factor": "3",
    "num.partitions": "3",
    "offsets.topic.num.partitions": "3",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.num.partitions": "3",
    "log.flush.offset.checkpoint.interval.ms": "1000",
    "controlled.shutdown.enable": "false",  # fast teardown; one test turns it on
}


def make_cluster(
    zk: ZkServer | ZkEnsemble, base: Path, props: dict[str, str] | None = None
) -> LocalCluster:
    chroot = f"/odradek-{uuid.uuid4().hex[:8]}"
    return LocalCluster(base, zk.hosts + chroot, {**BROKER_PROPS, **(props or {})}).start(3)


def wait_for(cond: Callable[[], object], timeout: float, what: str, step: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = cond()
        except Exception as exc:  # a broker may be down while we poll
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 3000})


def create_topic(
    bootstrap: str,
    name: str,
    partitions: int = 3,
    rf: int = 3,
    config: dict[str, str] | None = None,
    brokers: int = 3,
) -> None:
    a = admin(bootstrap)
    wait_for(lambda: len(a.list_topics(timeout=3).brokers) == brokers, 20, "live brokers")
    fut = a.create_topics([NewTopic(name, partitions, rf, config=config or {})])[name]
    fut.result(20)
    wait_for(lambda: partitions_ready(bootstrap, name, partitions, rf), 20, f"leaders of {name}")


def partitions_ready(bootstrap: str, name: str, partitions: int, isr: int) -> bool:
    md = admin(bootstrap).list_topics(name, timeout=3).topics[name]
    if md.error is not None or len(md.partitions) != partitions:
        return False
    return all(p.leader >= 0 and len(p.isrs) >= isr for p in md.partitions.values())


def leaders(bootstrap: str, name: str) -> dict[int, tuple[int, list[int]]]:
    md = admin(bootstrap).list_topics(name, timeout=3).topics[name]
    return {p.id: (p.leader, list(p.isrs)) for p in md.partitions.values()}


class AckedProducer:
    """Produces ``v<i>`` values with acks=all; ``acked`` maps value → (partition, offset)."""

    def __init__(self, bootstrap: str, topic: str, **extra: object) -> None:
        conf: dict[str, object] = {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 5,
            "enable.idempotence": True,
            "message.timeout.ms": 60000,
            "socket.timeout.ms": 3000,
            **extra,
        }
        self.producer = Producer(conf)
        self.topic = topic
        self.acked: dict[bytes, tuple[int, int]] = {}
        self.errors: list[KafkaError] = []
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _on_delivery(self, err: KafkaError | None, msg: object) -> None:
        if err is not None:
            self.errors.append(err)
        else:
            self.acked[msg.value()] = (msg.partition(), msg.offset())  # type: ignore[attr-defined]

    def produce(self, count: int, partition: int = -1) -> None:
        for _ in range(count):
            value = b"v%d" % self.sent
            self.sent += 1
            if partition >= 0:
                self.producer.produce(
                    self.topic, value, partition=partition, on_delivery=self._on_delivery
                )
            else:
                self.producer.produce(self.topic, value, on_delivery=self._on_delivery)
            self.producer.poll(0)

    def flush(self, timeout: float = 60.0) -> int:
        return int(self.producer.flush(timeout))

    def start_background(self, rate_per_s: int = 2000) -> None:
        def run() -> None:
            while not self._stop.is_set():
                self.produce(rate_per_s // 50)
                time.sleep(0.02)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop_background(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)


def read_all(
    bootstrap: str, topic: str, partitions: int, expect: int, timeout: float = 30.0
) -> dict[bytes, tuple[int, int]]:
    """Every record of ``topic`` from offset 0: value → (partition, offset)."""
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "cluster-test-reader",
            "enable.auto.commit": False,
            "socket.timeout.ms": 3000,
        }
    )
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    seen: dict[bytes, tuple[int, int]] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < expect and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            seen[m.value()] = (m.partition(), m.offset())
    finally:
        c.close()
    return seen
