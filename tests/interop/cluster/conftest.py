"""Fixtures for cluster interop tests: a ZooKeeper server (Apache 3.8 or odradek zk) per module,
and a fresh 3-broker :class:`LocalCluster` per test under its own chroot."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_harness import make_cluster

from odradek.broker.cluster_main import LocalCluster, ZkEnsemble, ZkServer


def apache_available() -> bool:
    return shutil.which("java") is not None and os.path.exists("/usr/share/java/zookeeper.jar")


def _zk(kind: str, factory: pytest.TempPathFactory) -> ZkServer | ZkEnsemble:
    if kind == "apache" and not apache_available():
        pytest.fail("Apache ZooKeeper 3.8 is not installed (scripts/sysdeps.sh installs it)")
    if kind == "odradek-ensemble":
        return ZkEnsemble("odradek", factory.mktemp("zk-ensemble"), 3).start()
    return ZkServer(kind, factory.mktemp(f"zk-{kind}")).start()


@pytest.fixture(scope="module", params=["apache", "odradek", "odradek-ensemble"])
def zk_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ZkServer | ZkEnsemble]:
    """Each ZooKeeper the brokers must run on: Apache 3.8, odradek zk, a 3-node odradek zk."""
    server = _zk(request.param, tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def apache_zk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZkServer]:
    server = _zk("apache", tmp_path_factory)
    assert isinstance(server, ZkServer)
    yield server
    server.stop()


@pytest.fixture
def cluster(zk_server: ZkServer | ZkEnsemble, tmp_path: Path) -> Iterator[LocalCluster]:
    c = make_cluster(zk_server, tmp_path)
    yield c
    c.stop()


@pytest.fixture
def apache_cluster(apache_zk: ZkServer, tmp_path: Path) -> Iterator[LocalCluster]:
    c = make_cluster(apache_zk, tmp_path)
    yield c
    c.stop()
