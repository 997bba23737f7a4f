"""A throttled reassignment (``odradek reassign --execute --throttle``): the move of a few MB
takes about size/rate seconds, completes, and ``--verify`` removes the throttle configs.
On Apache ZooKeeper 3.8."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cluster_harness import admin, leaders, wait_for
from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic
from kazoo.client import KazooClient

from odradek.broker.cluster_main import LocalCluster

pytestmark = pytest.mark.interop

RECORD = 10_000
COUNT = 400  # 4 MB
RATE = 1_000_000  # bytes/s
FETCH_MAX = 1_048_576  # replica.fetch.max.bytes: a fetch may overdraw the quota by this much


def odradek(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "odradek.cli", *args], capture_output=True, text=True, timeout=60
    )


def zk_config(zk: KazooClient, path: str) -> dict[str, str]:
    if not zk.exists(path):
        return {}
    return dict(json.loads(zk.get(path)[0] or b"{}").get("config", {}))


def test_throttled_reassignment(apache_cluster: LocalCluster, tmp_path: Path) -> None:
    c = apache_cluster
    bs = c.bootstrap
    a = admin(bs)
    wait_for(lambda: len(a.list_topics(timeout=3).brokers) == 3, 20, "live brokers")
    a.create_topics([NewTopic("thr", 1, replica_assignment=[[1, 2]])])["thr"].result(20)
    wait_for(lambda: leaders(bs, "thr")[0] == (1, [1, 2]), 20, "leader 1, isr [1, 2]")
    p = Producer({"bootstrap.servers": bs, "acks": "all", "linger.ms": 5})
    for i in range(COUNT):
        p.produce("thr", b"%05d" % i + bytes(RECORD - 5), partition=0)
    assert p.flush(60) == 0
    size = sum(f.stat().st_size for f in (c.brokers[1].data_dir / "thr-0").glob("*.log"))
    assert size >= COUNT * RECORD

    plan = tmp_path / "plan.json"
    doc = {"version": 1, "partitions": [{"topic": "thr", "partition": 0, "replicas": [1, 3]}]}
    plan.write_text(json.dumps(doc))
    zk = KazooClient(hosts=c.zookeeper, timeout=10)
    zk.start(15)
    try:
        ex = odradek("reassign", "--bootstrap-server", bs, "--execute",
                     "--reassignment-json-file", str(plan), "--throttle", str(RATE))  # fmt: skip
        assert ex.returncode == 0, ex.stdout + ex.stderr
        assert f"throttle limit was set to {RATE} B/s" in ex.stdout
        started = time.monotonic()  # the reassignment is under way
        wait_for(lambda: sorted(leaders(bs, "thr")[0][1]) == [1, 3], 60, "isr [1, 3]", step=0.05)
        elapsed = time.monotonic() - started
        # unthrottled, this move takes a fraction of a second here
        assert elapsed >= 0.9 * (size - FETCH_MAX) / RATE, f"moved {size} B in {elapsed:.1f} s"
        assert elapsed < 3 * size / RATE + 5, f"moved {size} B in {elapsed:.1f} s"
        topic_cfg = zk_config(zk, "/config/topics/thr")
        assert topic_cfg["leader.replication.throttled.replicas"] == "0:1,0:2"
        assert topic_cfg["follower.replication.throttled.replicas"] == "0:3"
        broker_cfg = zk_config(zk, "/config/brokers/<default>")
        assert broker_cfg["leader.replication.throttled.rate"] == str(RATE)
        assert broker_cfg["follower.replication.throttled.rate"] == str(RATE)

        def verified() -> str | None:
            v = odradek("reassign", "--bootstrap-server", bs, "--verify",
                        "--reassignment-json-file", str(plan))  # fmt: skip
            return v.stdout if v.returncode == 0 else None

        out = str(wait_for(verified, 60, "reassignment complete", step=0.5))
        assert "thr-0 is completed" in out and "Clearing broker-level throttles" in out

        topic_cfg = zk_config(zk, "/config/topics/thr")
        assert "leader.replication.throttled.replicas" not in topic_cfg
        assert "follower.replication.throttled.replicas" not in topic_cfg
        broker_cfg = zk_config(zk, "/config/brokers/<default>")
        assert not {k for k in broker_cfg if k.endswith(".replication.throttled.rate")}
    finally:
        zk.stop()
        zk.close()
    leader, isr = leaders(bs, "thr")[0]
    assert sorted(isr) == [1, 3] and leader in (1, 3)
    moved = sum(f.stat().st_size for f in (c.brokers[3].data_dir / "thr-0").glob("*.log"))
    assert moved == size
