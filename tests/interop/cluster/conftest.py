"""Fixtures for cluster interop tests: a ZooKeeper server (Apache 3.8 or odradek zk) per module,
and a fresh 3-broker :class:`LocalCluster` per test under its own chroot."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from odradek.broker.cluster_main import LocalCluster, ZkServer

BROKER_PROPS = {
    "zookeeper.session.timeout.ms": "4000",
    "replica.lag.time.max.ms": "6000",
    "default.replication.factor": "3",
    "num.partitions": "3",
    "offsets.topic.num.partitions": "3",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.num.partitions": "3",
    "log.flush.offset.checkpoint.interval.ms": "1000",
}


def apache_available() -> bool:
    return shutil.which("java") is not None and os.path.exists("/usr/share/java/zookeeper.jar")


def _zk(kind: str, factory: pytest.TempPathFactory) -> ZkServer:
    if kind == "apache" and not apache_available():
        pytest.fail("Apache ZooKeeper 3.8 is not installed (scripts/sysdeps.sh installs it)")
    return ZkServer(kind, factory.mktemp(f"zk-{kind}")).start()


@pytest.fixture(scope="module", params=["apache", "odradek"])
def zk_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ZkServer]:
    """Each of the two ZooKeeper servers the brokers must run on."""
    server = _zk(request.param, tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def apache_zk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZkServer]:
    server = _zk("apache", tmp_path_factory)
    yield server
    server.stop()


def _cluster(zk: ZkServer, base: Path, props: dict[str, str] | None = None) -> LocalCluster:
    chroot = f"/odradek-{uuid.uuid4().hex[:8]}"
    return LocalCluster(base, zk.hosts + chroot, {**BROKER_PROPS, **(props or {})}).start(3)


@pytest.fixture
def cluster(zk_server: ZkServer, tmp_path: Path) -> Iterator[LocalCluster]:
    c = _cluster(zk_server, tmp_path)
    yield c
    c.stop()


@pytest.fixture
def apache_cluster(apache_zk: ZkServer, tmp_path: Path) -> Iterator[LocalCluster]:
    c = _cluster(apache_zk, tmp_path)
    yield c
    c.stop()


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
) -> None:
    a = admin(bootstrap)
    wait_for(lambda: len(a.list_topics(timeout=3).brokers) == 3, 20, "3 live brokers")
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
