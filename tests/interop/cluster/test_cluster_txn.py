"""Transactions on a 3-broker cluster (odradek zk): the transaction coordinator follows the
leadership of ``__transaction_state``, markers reach partitions led by other brokers, and
transactional consumer offsets live with the group coordinator (on another broker)."""

from __future__ import annotations

import socket
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_harness import BROKER_PROPS, admin, create_topic, leaders, make_cluster, wait_for
from confluent_kafka import Consumer, Producer, TopicPartition

from odradek.broker.cluster_main import LocalCluster, ZkServer
from odradek.protocol import kio_codec, shapes
from odradek.protocol.header import encode_request_header
from odradek.protocol.primitives import skip_tagged_fields

pytestmark = pytest.mark.interop
GROUP, TRANSACTION = 0, 1


@pytest.fixture(scope="module")
def odradek_zk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZkServer]:
    server = ZkServer("odradek", tmp_path_factory.mktemp("zk-txn")).start()
    yield server
    server.stop()


@pytest.fixture
def txn_cluster(odradek_zk: ZkServer, tmp_path: Path) -> Iterator[LocalCluster]:
    c = make_cluster(odradek_zk, tmp_path)
    yield c
    c.stop()


def call(bootstrap: str, api_key: int, version: int, fields: dict[str, object]) -> Any:
    """One flexible-version request to the first bootstrap broker; the decoded response."""
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    body = kio_codec.encode_request(shapes.build(kio_codec.request_class(api_key, version), fields))
    frame = encode_request_header(api_key, version, 1, "txn-test") + body
    with socket.create_connection((host, int(port)), timeout=35) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", _read(s, 4))[0]
        data = memoryview(_read(s, size))
    return kio_codec.decode_response(api_key, version, data, skip_tagged_fields(data, 4))


def find_coordinator(bootstrap: str, key: str, key_type: int) -> tuple[int, int]:
    """(error code, node id) of a FindCoordinator v3."""
    resp = call(bootstrap, 10, 3, {"key": key, "key_type": key_type})
    return int(resp.error_code.value), int(resp.node_id)


def _read(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return out


def coordinator_node(bootstrap: str, key: str, key_type: int) -> int:
    def ready() -> int:
        error, node = find_coordinator(bootstrap, key, key_type)
        return node if error == 0 else 0

    return int(wait_for(ready, 30, f"coordinator of {key!r}", step=0.2))  # type: ignore[call-overload]


def txn_producer(bootstrap: str, txn_id: str) -> Producer:
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": txn_id,
            "transaction.timeout.ms": 30000,
            "socket.timeout.ms": 5000,
            "linger.ms": 5,
        }
    )


def read_values(bootstrap: str, topic: str, partitions: int, isolation: str) -> list[bytes]:
    """Every value of ``topic`` up to the end offsets visible at this isolation level."""
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex[:6]}",
            "isolation.level": isolation,
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out: list[bytes] = []
    eof: set[int] = set()
    try:
        for _ in range(400):
            m = c.poll(0.25)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    eof.add(m.partition())
                    if len(eof) == partitions:
                        break
                continue
            eof.discard(m.partition())
            out.append(m.value())
    finally:
        c.close()
    return out


def test_transactions_across_partition_leaders(txn_cluster: LocalCluster) -> None:
    c = txn_cluster
    create_topic(c.bootstrap, "tx-out", partitions=3, rf=3, config={"min.insync.replicas": "2"})
    partition_leaders = {leader for leader, _isr in leaders(c.bootstrap, "tx-out").values()}
    assert len(partition_leaders) >= 2, "partitions should be led by different brokers"
    coordinator_node(c.bootstrap, "tx-a", TRANSACTION)

    p = txn_producer(c.bootstrap, "tx-a")
    p.init_transactions(30)
    for label, commit in (("c1", True), ("ab", False), ("c2", True)):
        p.begin_transaction()
        for i in range(30):
            p.produce("tx-out", b"%s-%d" % (label.encode(), i), partition=i % 3)
        if commit:
            p.commit_transaction(30)
        else:
            p.flush(30)
            p.abort_transaction(30)

    # brokers that do not lead the id's __transaction_state partition refuse it
    owner = coordinator_node(c.bootstrap, "tx-a", TRANSACTION)
    for node, b in c.brokers.items():
        resp = call(b.bootstrap, 22, 4, {"transactional_id": "tx-a", "transaction_timeout": 30000,
                                          "producer_id": -1, "producer_epoch": -1})  # fmt: skip
        assert (resp.error_code.value == 16) == (node != owner)  # NOT_COORDINATOR

    committed = read_values(c.bootstrap, "tx-out", 3, "read_committed")
    expected = {b"c1-%d" % i for i in range(30)} | {b"c2-%d" % i for i in range(30)}
    assert sorted(committed) == sorted(expected)  # each exactly once, no aborted record
    everything = read_values(c.bootstrap, "tx-out", 3, "read_uncommitted")
    assert len([v for v in everything if v.startswith(b"ab-")]) == 30  # written, then aborted


def _committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Committed offsets without KIP-447 require_stable (which would wait out a pending
    transactional commit)."""
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "isolation.level": "read_uncommitted",
        }
    )
    try:
        got = c.committed([TopicPartition(topic, p) for p in range(3)], timeout=15)
    finally:
        c.close()
    return {tp.partition: tp.offset for tp in got}


def test_send_offsets_with_group_and_txn_coordinators_on_different_brokers(
    txn_cluster: LocalCluster,
) -> None:
    c = txn_cluster
    create_topic(c.bootstrap, "ctp-in", partitions=3, rf=3)
    create_topic(c.bootstrap, "ctp-out", partitions=3, rf=3)
    group = "ctp-group"
    group_node = coordinator_node(c.bootstrap, group, GROUP)
    txn_id = next(
        t
        for t in (f"ctp-{i}" for i in range(60))
        if coordinator_node(c.bootstrap, t, TRANSACTION) != group_node
    )
    assert coordinator_node(c.bootstrap, txn_id, TRANSACTION) != group_node

    src = Producer({"bootstrap.servers": c.bootstrap, "acks": "all"})
    for i in range(60):
        src.produce("ctp-in", b"in-%d" % i, partition=i % 3)
    assert src.flush(30) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": c.bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe(["ctp-in"])
    producer = txn_producer(c.bootstrap, txn_id)
    producer.init_transactions(30)
    seen: list[bytes] = []
    try:
        wait_for(lambda: _poll_into(consumer, seen) >= 60, 40, "the input records", step=0)
        positions = consumer.position(consumer.assignment())
        # an aborted transaction leaves the group's offsets untouched
        producer.begin_transaction()
        producer.produce("ctp-out", b"aborted")
        producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
        producer.abort_transaction(30)
        assert all(o < 0 for o in _committed(c.bootstrap, group, "ctp-in").values())

        producer.begin_transaction()
        for v in seen:
            producer.produce("ctp-out", v.replace(b"in-", b"out-"))
        producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
        producer.flush(30)
        before = _committed(c.bootstrap, group, "ctp-in")
        assert all(o < 0 for o in before.values()), before  # not visible before the commit
        producer.commit_transaction(30)
    finally:
        consumer.close()
    after = _committed(c.bootstrap, group, "ctp-in")
    assert after == {tp.partition: tp.offset for tp in positions}
    assert sum(after.values()) == 60
    out = read_values(c.bootstrap, "ctp-out", 3, "read_committed")
    assert sorted(out) == sorted(v.replace(b"in-", b"out-") for v in seen)
    # the group is empty now: DeleteGroups is answered once its tombstones are replicated
    a = admin(c.bootstrap)  # kept referenced: a destroyed client never completes its futures
    a.delete_consumer_groups([group])[group].result(20)
    assert all(o < 0 for o in _committed(c.bootstrap, group, "ctp-in").values())


def _poll_into(consumer: Consumer, seen: list[bytes]) -> int:
    m = consumer.poll(0.5)
    if m is not None and not m.error():
        seen.append(m.value())
    return len(seen)


def test_transactions_on_a_one_broker_cluster(odradek_zk: ZkServer, tmp_path: Path) -> None:
    """``odradek cluster --brokers 1``: the internal topics' replication factor (and
    ``transaction.state.log.min.isr``) are capped at the one live broker."""
    chroot = f"/odradek-{uuid.uuid4().hex[:8]}"
    props = {**BROKER_PROPS, "default.replication.factor": "1"}
    c = LocalCluster(tmp_path, odradek_zk.hosts + chroot, props).start(1)
    try:
        a = admin(c.bootstrap)
        wait_for(lambda: a.list_topics(timeout=3).controller_id >= 0, 30, "a controller")
        create_topic(c.bootstrap, "one", partitions=2, rf=1, brokers=1)
        coordinator_node(c.bootstrap, "tx-one", TRANSACTION)
        p = txn_producer(c.bootstrap, "tx-one")
        p.init_transactions(30)
        for label, commit in ((b"a", False), (b"c", True)):
            p.begin_transaction()
            for i in range(10):
                p.produce("one", b"%s-%d" % (label, i), partition=i % 2)
            if commit:
                p.commit_transaction(30)
            else:
                p.flush(30)
                p.abort_transaction(30)
        values = read_values(c.bootstrap, "one", 2, "read_committed")
        assert sorted(values) == sorted(b"c-%d" % i for i in range(10))
    finally:
        c.stop()
