"""Fault tests of a 3-broker cluster on Apache ZooKeeper 3.8: leader and controller kill -9,
min.insync.replicas with two brokers down. Brokers use a 4 s ZooKeeper session, so a killed
broker is noticed by the controller after about 4 s."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cluster_harness import (
    AckedProducer,
    admin,
    create_topic,
    leaders,
    make_cluster,
    read_all,
    wait_for,
)
from confluent_kafka import KafkaError, Producer

from odradek.broker.cluster_main import LocalCluster, ZkServer

pytestmark = pytest.mark.interop


def log_bytes(cluster: LocalCluster, node: int, topic: str, partition: int) -> bytes:
    d = cluster.brokers[node].data_dir / f"{topic}-{partition}"
    return b"".join(p.read_bytes() for p in sorted(Path(d).glob("*.log")))


def live_bootstrap(cluster: LocalCluster, *down: int) -> str:
    return ",".join(b.bootstrap for n, b in cluster.brokers.items() if n not in down)


def test_leader_kill9_under_acks_all_load(apache_cluster: LocalCluster) -> None:
    c = apache_cluster
    create_topic(c.bootstrap, "load", partitions=3, rf=3, config={"min.insync.replicas": "2"})
    victim = leaders(c.bootstrap, "load")[0][0]
    producer = AckedProducer(c.bootstrap, "load")
    producer.start_background()
    wait_for(lambda: len(producer.acked) > 1000, 20, "acknowledged records before the kill")

    c.kill9(victim)
    killed_at = time.monotonic()
    others = live_bootstrap(c, victim)

    def new_leader() -> bool:
        state = leaders(others, "load")
        return all(leader not in (victim, -1) for leader, _ in state.values())

    wait_for(new_leader, 10, "new leaders without the killed broker", step=0.05)
    failover_s = time.monotonic() - killed_at
    before = len(producer.acked)
    wait_for(lambda: len(producer.acked) > before + 1000, 20, "producing continues")
    producer.stop_background()
    assert producer.flush(60) == 0
    assert not producer.errors, producer.errors[:3]
    assert failover_s < 10

    c.restart(victim)
    wait_for(
        lambda: all(len(isr) == 3 for _, isr in leaders(c.bootstrap, "load").values()),
        30,
        "the restarted broker back in every ISR",
    )
    seen = read_all(c.bootstrap, "load", 3, expect=len(producer.acked))
    lost = {v: at for v, at in producer.acked.items() if seen.get(v) != at}
    assert not lost, (
        f"{len(lost)} acknowledged records lost or moved, e.g. {list(lost.items())[:3]}"
    )
    for p in range(3):
        wait_for(
            lambda p=p: len({log_bytes(c, n, "load", p) for n in (1, 2, 3)}) == 1,
            20,
            f"identical replicas of load-{p} after the restart",
        )


def test_controller_kill9_then_topic_creation(apache_cluster: LocalCluster) -> None:
    c = apache_cluster
    a = admin(c.bootstrap)
    wait_for(lambda: a.describe_cluster().result(5).controller.id > 0, 20, "a controller")
    old = a.describe_cluster().result(5).controller.id
    c.kill9(old)

    def new_controller() -> bool:
        fresh = admin(live_bootstrap(c, old))  # a client caches the controller it last saw
        cid = fresh.describe_cluster().result(3).controller.id
        return cid not in (old, -1) and cid is not None

    wait_for(new_controller, 15, "another broker to take over as controller", step=0.2)
    create_topic(live_bootstrap(c, old), "after", partitions=2, rf=2, brokers=2)
    producer = AckedProducer(live_bootstrap(c, old), "after")
    producer.produce(500)
    assert producer.flush(30) == 0 and len(producer.acked) == 500
    assert read_all(live_bootstrap(c, old), "after", 2, expect=500) == producer.acked


def _deliver(bootstrap: str, topic: str, acks: str, values: list[bytes]) -> dict[bytes, object]:
    p = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": acks,
            "retries": 0,
            "enable.idempotence": False,
            "message.timeout.ms": 10000,
        }
    )
    out: dict[bytes, object] = {}

    def cb(err: KafkaError | None, msg: object) -> None:
        out[msg.value()] = err.code() if err else msg.offset()  # type: ignore[attr-defined]

    for v in values:
        p.produce(topic, v, partition=0, on_delivery=cb)
    p.flush(20)
    return out


def test_min_insync_replicas_two_brokers_down(apache_cluster: LocalCluster) -> None:
    c = apache_cluster
    create_topic(c.bootstrap, "strict", partitions=1, rf=3, config={"min.insync.replicas": "2"})
    first = _deliver(c.bootstrap, "strict", "all", [b"a%d" % i for i in range(100)])
    assert all(isinstance(o, int) and o >= 0 for o in first.values()) and len(first) == 100
    leader = leaders(c.bootstrap, "strict")[0][0]
    down = [n for n in (1, 2, 3) if n != leader]
    for n in down:
        c.kill9(n)
    alone = c.brokers[leader].bootstrap
    wait_for(lambda: leaders(alone, "strict")[0][1] == [leader], 15, "ISR shrunk to the leader")

    refused = _deliver(alone, "strict", "all", [b"b%d" % i for i in range(20)])
    assert set(refused.values()) == {KafkaError.NOT_ENOUGH_REPLICAS}
    accepted = _deliver(alone, "strict", "1", [b"c%d" % i for i in range(20)])
    assert all(isinstance(o, int) and o >= 0 for o in accepted.values())

    for n in down:
        c.restart(n)
    wait_for(lambda: len(leaders(c.bootstrap, "strict")[0][1]) == 3, 30, "ISR complete again")
    seen = read_all(c.bootstrap, "strict", 1, expect=120)
    assert set(seen) == set(first) | set(accepted)
    assert all(seen[v][1] == off for v, off in first.items())


def test_consumer_group_survives_coordinator_kill9(apache_cluster: LocalCluster) -> None:
    from confluent_kafka import Consumer

    from odradek.coordinator.group.config import partition_for

    c = apache_cluster
    create_topic(c.bootstrap, "grp", partitions=3, rf=3)
    producer = AckedProducer(c.bootstrap, "grp")
    producer.produce(300)
    assert producer.flush(30) == 0

    def consume(expect: int, timeout: float) -> list[bytes]:
        consumer = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "g1",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "session.timeout.ms": 6000})  # fmt: skip
        consumer.subscribe(["grp"])
        got: list[bytes] = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and len(got) < expect:
                m = consumer.poll(0.5)
                if m is not None and not m.error():
                    got.append(m.value())
            if got:
                consumer.commit(asynchronous=False)
            else:
                time.sleep(3)  # nothing new: give the consumer time to prove it
                m = consumer.poll(1.0)
                got += [m.value()] if m is not None and not m.error() else []
        finally:
            consumer.close()
        return got

    assert sorted(consume(300, 40)) == sorted(producer.acked)
    part = partition_for("g1", 3)
    coordinator = leaders(c.bootstrap, "__consumer_offsets")[part][0]
    time.sleep(1.0)  # offset commits are replicated asynchronously
    c.kill9(coordinator)
    others = live_bootstrap(c, coordinator)
    wait_for(
        lambda: leaders(others, "__consumer_offsets")[part][0] not in (coordinator, -1),
        15,
        "a new coordinator",
    )
    more = AckedProducer(others, "grp")
    more.sent = 1000  # values v1000.. differ from the first 300
    more.produce(100)
    assert more.flush(30) == 0
    again = consume(100, 40)
    assert sorted(again) == sorted(more.acked)  # committed offsets survived: no re-delivery


def test_controlled_shutdown_under_load(apache_zk: ZkServer, tmp_path: Path) -> None:
    c = make_cluster(apache_zk, tmp_path, {"controlled.shutdown.enable": "true"})
    try:
        _controlled_shutdown_under_load(c)
    finally:
        c.stop()


def _controlled_shutdown_under_load(c: LocalCluster) -> None:
    create_topic(c.bootstrap, "calm", partitions=3, rf=3, config={"min.insync.replicas": "2"})
    victim = leaders(c.bootstrap, "calm")[1][0]
    producer = AckedProducer(c.bootstrap, "calm")
    producer.start_background()
    wait_for(lambda: len(producer.acked) > 500, 20, "records before the shutdown")
    stopped_at = time.monotonic()
    assert c.brokers[victim].stop() == 0  # SIGTERM: controlled shutdown, then a clean exit
    took = time.monotonic() - stopped_at
    others = live_bootstrap(c, victim)

    def moved_off() -> bool:
        state = leaders(others, "calm")
        return all(leader != victim and victim not in isr for leader, isr in state.values())

    wait_for(moved_off, 5, "leaders and ISRs without the stopped broker")
    before = len(producer.acked)
    wait_for(lambda: len(producer.acked) > before + 500, 20, "producing continues")
    producer.stop_background()
    assert producer.flush(60) == 0
    assert not producer.errors, producer.errors[:3]
    assert "controlled shutdown complete" in c.brokers[victim].log_text()
    assert took < 10
    seen = read_all(others, "calm", 3, expect=len(producer.acked))
    assert all(seen.get(v) == at for v, at in producer.acked.items())


def test_unclean_election_only_when_allowed(apache_cluster: LocalCluster) -> None:
    from kafka import KafkaAdminClient

    c = apache_cluster
    create_topic(c.bootstrap, "clean", partitions=1, rf=2)
    leader, isr = leaders(c.bootstrap, "clean")[0]
    follower = next(r for r in isr if r != leader)
    spare = next(n for n in (1, 2, 3) if n not in isr)
    c.kill9(follower)
    alive = live_bootstrap(c, follower)
    wait_for(lambda: leaders(alive, "clean")[0][1] == [leader], 15, "ISR shrunk to the leader")
    c.kill9(leader)
    c.restart(follower)  # out of sync: not eligible for a clean election
    only = live_bootstrap(c, leader)
    view = c.brokers[spare].bootstrap  # a broker whose metadata cache lived through it all

    def controller_alive() -> bool:
        a = admin(view)  # keep the client alive until its future resolves
        cid = a.describe_cluster().result(3).controller.id
        return cid not in (leader, -1)

    wait_for(controller_alive, 15, "a live controller")
    wait_for(lambda: leaders(view, "clean")[0][0] == -1, 15, "the partition offline")
    wait_for(lambda: follower in admin(view).list_topics(timeout=3).brokers, 15, "restart")
    time.sleep(2)
    assert leaders(view, "clean")[0][0] == -1  # no unclean election without the config

    k = KafkaAdminClient(bootstrap_servers=c.brokers[spare].bootstrap, request_timeout_ms=10000)
    try:
        k.elect_leaders(1, {"clean": [0]})  # ElectLeaders UNCLEAN (KIP-460)
    finally:
        k.close()
    wait_for(lambda: leaders(only, "clean")[0][0] == follower, 15, "the unclean leader")
