"""Brokers on a 3-node odradek zk ensemble keep working when a ZooKeeper member is killed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_harness import AckedProducer, create_topic, make_cluster, read_all

from odradek.broker.cluster_main import ZkEnsemble

pytestmark = pytest.mark.interop


@pytest.fixture
def ensemble(tmp_path: Path) -> Iterator[ZkEnsemble]:
    e = ZkEnsemble("odradek", tmp_path / "zk", 3).start()
    yield e
    e.stop()


def test_zk_member_kill9(ensemble: ZkEnsemble, tmp_path: Path) -> None:
    c = make_cluster(ensemble, tmp_path / "brokers")
    try:
        create_topic(c.bootstrap, "before", partitions=3, rf=3)
        victim = ensemble.servers[0].proc
        assert victim is not None
        victim.kill()
        victim.wait(10)
        create_topic(c.bootstrap, "after", partitions=3, rf=3)
        producer = AckedProducer(c.bootstrap, "after")
        producer.produce(1000)
        assert producer.flush(30) == 0 and len(producer.acked) == 1000
        assert read_all(c.bootstrap, "after", 3, expect=1000) == producer.acked
    finally:
        c.stop()
