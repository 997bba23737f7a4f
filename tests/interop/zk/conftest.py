"""Fixtures: the same tests run against ``odradek zk`` and Apache ZooKeeper 3.8."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kazoo.client import KazooClient
from zk_servers import ZkProcess, apache_available

KINDS = [
    "odradek",
    pytest.param(
        "apache",
        marks=[
            pytest.mark.apache_zk,
            pytest.mark.skipif(not apache_available(), reason="Apache ZooKeeper not installed"),
        ],
    ),
]


@pytest.fixture(scope="module", params=KINDS)
def zk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ZkProcess]:
    """One server per kind shared by a test module."""
    proc = ZkProcess(request.param, tmp_path_factory.mktemp(f"zk-{request.param}")).start()
    yield proc
    proc.stop()


@pytest.fixture(params=KINDS)
def fresh_zk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ZkProcess]:
    """A server of the test's own, for tests that kill or restart it."""
    proc = ZkProcess(request.param, tmp_path / request.param).start()
    yield proc
    proc.stop()


@pytest.fixture()
def client(zk: ZkProcess) -> Iterator[KazooClient]:
    c = KazooClient(hosts=zk.hosts, timeout=10.0)
    c.start(timeout=15)
    yield c
    c.stop()
    c.close()


@pytest.fixture()
def make_client(zk: ZkProcess) -> Iterator[object]:
    made: list[KazooClient] = []

    def factory(**kwargs: object) -> KazooClient:
        c = KazooClient(hosts=zk.hosts, **kwargs)  # type: ignore[arg-type]
        c.start(timeout=15)
        made.append(c)
        return c

    yield factory
    for c in made:
        c.stop()
        c.close()
