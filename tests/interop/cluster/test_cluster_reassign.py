"""Adding a 4th broker and moving partitions onto it under acks=all load (KIP-455 API through
kafka-python, and the ``/admin/reassign_partitions`` znode path), on Apache ZooKeeper 3.8;
preferred leader election through ElectLeaders."""

from __future__ import annotations

import json

import pytest
from cluster_harness import AckedProducer, create_topic, leaders, read_all, wait_for
from kafka import KafkaAdminClient, TopicPartition
from kazoo.client import KazooClient

from odradek.broker.cluster_main import LocalCluster

pytestmark = pytest.mark.interop


def kadmin(bootstrap: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap.split(","), request_timeout_ms=10000)


def test_add_broker_and_reassign_under_load(apache_cluster: LocalCluster) -> None:
    c = apache_cluster
    create_topic(c.bootstrap, "moving", partitions=3, rf=3)
    producer = AckedProducer(c.bootstrap, "moving")
    producer.start_background()
    wait_for(lambda: len(producer.acked) > 500, 20, "records before the new broker")

    c.add_broker(4)
    target = {p: [4, *[r for r in (1, 2, 3) if r != p + 1]] for p in range(3)}  # drop p+1, add 4
    admin = kadmin(c.bootstrap)
    try:
        wait_for(
            lambda: 4 in {b["broker_id"] for b in admin.describe_cluster()["brokers"]},
            15,
            "broker 4",
        )
        moves = {TopicPartition("moving", p): r for p, r in target.items()}
        admin.alter_partition_reassignments(moves)

        def finished() -> bool:
            return not admin.list_partition_reassignments() and all(
                sorted(isr) == sorted(target[p])
                for p, (_l, isr) in leaders(c.bootstrap, "moving").items()
            )

        wait_for(finished, 45, "reassignment complete with full ISRs", step=0.5)
    finally:
        admin.close()
    before = len(producer.acked)
    wait_for(lambda: len(producer.acked) > before + 500, 20, "producing continues")
    producer.stop_background()
    assert producer.flush(60) == 0 and not producer.errors
    for p in range(3):
        gone = c.brokers[p + 1].data_dir / f"moving-{p}"
        wait_for(lambda gone=gone: not gone.exists(), 15, f"{gone} deleted")
    seen = read_all(c.bootstrap, "moving", 3, expect=len(producer.acked))
    lost = [v for v, at in producer.acked.items() if seen.get(v) != at]
    assert not lost, f"{len(lost)} acknowledged records lost"


def test_znode_reassignment_and_preferred_election(apache_cluster: LocalCluster) -> None:
    c = apache_cluster
    create_topic(c.bootstrap, "pref", partitions=1, rf=3)
    (leader, isr) = leaders(c.bootstrap, "pref")[0]
    others = [r for r in isr if r != leader]
    zk = KazooClient(hosts=c.zookeeper, timeout=10)
    zk.start(15)
    try:
        # reorder the replicas: the preferred leader becomes another broker, via the znode path
        wanted = [others[0], leader, others[1]]
        doc = {"version": 1, "partitions": [{"topic": "pref", "partition": 0, "replicas": wanted}]}
        zk.create("/admin/reassign_partitions", json.dumps(doc).encode())
        wait_for(lambda: not zk.exists("/admin/reassign_partitions"), 15, "znode consumed")
        wait_for(
            lambda: json.loads(zk.get("/brokers/topics/pref")[0])["partitions"]["0"] == wanted,
            15,
            "new replica order",
        )
    finally:
        zk.stop()
        zk.close()
    assert leaders(c.bootstrap, "pref")[0][0] == leader  # order alone does not move leadership
    admin = kadmin(c.bootstrap)
    try:
        admin.elect_leaders(0, {"pref": [0]})
    finally:
        admin.close()
    wait_for(lambda: leaders(c.bootstrap, "pref")[0][0] == wanted[0], 15, "preferred leader")
