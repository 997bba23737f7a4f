"""A 3-broker cluster on Apache ZooKeeper 3.8 and on odradek zk: RF 3 topics, acks=all
producers and consumers talking to different brokers, replicas identical on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_harness import AckedProducer, admin, create_topic, leaders, read_all, wait_for

from odradek.broker.cluster_main import LocalCluster

pytestmark = pytest.mark.interop


def log_bytes(cluster: LocalCluster, node: int, topic: str, partition: int) -> bytes:
    d = cluster.brokers[node].data_dir / f"{topic}-{partition}"
    return b"".join(p.read_bytes() for p in sorted(Path(d).glob("*.log")))


def test_rf3_acks_all_across_brokers(cluster: LocalCluster) -> None:
    b = {n: p.bootstrap for n, p in cluster.brokers.items()}
    create_topic(b[1], "orders", partitions=3, rf=3)
    state = leaders(b[2], "orders")
    assert sorted(len(isr) for _, isr in state.values()) == [3, 3, 3]
    assert {leader for leader, _ in state.values()} == {1, 2, 3}  # leadership is spread

    a3 = admin(b[3])
    described = a3.describe_cluster().result(10)
    assert sorted(n.id for n in described.nodes) == [1, 2, 3]
    assert described.controller.id in (1, 2, 3)

    producer = AckedProducer(b[1], "orders")  # bootstraps from broker 1 only
    producer.produce(3000)
    assert producer.flush(60) == 0
    assert not producer.errors and len(producer.acked) == 3000

    seen = read_all(b[3], "orders", 3, expect=3000)  # bootstraps from broker 3 only
    assert seen == producer.acked

    for p in range(3):
        wait_for(
            lambda p=p: len({log_bytes(cluster, n, "orders", p) for n in (1, 2, 3)}) == 1,
            15,
            f"identical replicas of orders-{p}",
        )
    assert sum(len(log_bytes(cluster, 1, "orders", p)) for p in range(3)) > 3000 * 4


def test_delete_topic_removes_replicas(apache_cluster: LocalCluster) -> None:
    cluster = apache_cluster
    b1 = cluster.brokers[1].bootstrap
    create_topic(b1, "doomed", partitions=2, rf=3)
    dirs = [cluster.brokers[n].data_dir / "doomed-0" for n in (1, 2, 3)]
    wait_for(lambda: all(d.exists() for d in dirs), 10, "replica logs")
    a1 = admin(b1)
    a1.delete_topics(["doomed"])["doomed"].result(20)
    wait_for(lambda: not any(d.exists() for d in dirs), 15, "replica logs deleted")
    assert "doomed" not in a1.list_topics(timeout=5).topics


def test_topic_config_change_reaches_the_leader(apache_cluster: LocalCluster) -> None:
    from confluent_kafka import KafkaError, Producer
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

    c = apache_cluster
    create_topic(c.bootstrap, "tuned", partitions=1, rf=3)
    leader = leaders(c.bootstrap, "tuned")[0][0]
    other = next(n for n in (1, 2, 3) if n != leader)
    a = admin(c.brokers[other].bootstrap)
    res = ConfigResource(
        ConfigResource.Type.TOPIC,
        "tuned",
        incremental_configs=[
            ConfigEntry("min.insync.replicas", "4", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    for fut in a.incremental_alter_configs([res]).values():
        fut.result(10)

    def refused() -> bool:
        p = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "retries": 0,
                      "enable.idempotence": False, "message.timeout.ms": 5000})  # fmt: skip
        out: list[object] = []
        p.produce("tuned", b"x", on_delivery=lambda err, _m: out.append(err and err.code()))
        p.flush(10)
        return out == [KafkaError.NOT_ENOUGH_REPLICAS]

    wait_for(refused, 15, "the leader to apply min.insync.replicas=4 set through another broker")


def test_create_partitions_gets_replicated_leaders(apache_cluster: LocalCluster) -> None:
    from confluent_kafka.admin import NewPartitions

    c = apache_cluster
    create_topic(c.bootstrap, "growing", partitions=2, rf=3)
    a = admin(c.brokers[2].bootstrap)
    a.create_partitions([NewPartitions("growing", 5)])["growing"].result(20)
    state = leaders(c.bootstrap, "growing")
    assert sorted(state) == [0, 1, 2, 3, 4]
    assert all(leader >= 0 and len(isr) == 3 for leader, isr in state.values())
    producer = AckedProducer(c.bootstrap, "growing")
    for p in range(5):
        producer.produce(20, partition=p)
    assert producer.flush(30) == 0 and {p for p, _ in producer.acked.values()} == set(range(5))
