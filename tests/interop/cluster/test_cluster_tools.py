"""``odradek reassign`` (generate / execute / verify) and ``odradek leader-election`` against
a 3-broker cluster on Apache ZooKeeper 3.8, run as the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cluster_harness import create_topic, leaders, wait_for

from odradek.broker.cluster_main import LocalCluster

pytestmark = pytest.mark.interop


def odradek(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "odradek.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_reassign_and_leader_election_tools(apache_cluster: LocalCluster, tmp_path: Path) -> None:
    c = apache_cluster
    bs = c.bootstrap
    create_topic(bs, "tooled", partitions=2, rf=2)
    gen = odradek("reassign", "--bootstrap-server", bs, "--generate", "--topics", "tooled",
                  "--broker-list", "1,2,3")  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    proposed = json.loads(gen.stdout.strip().splitlines()[-1])
    assert {(e["topic"], e["partition"]) for e in proposed["partitions"]} == {
        ("tooled", 0), ("tooled", 1),
    }  # fmt: skip
    assert all(len(e["replicas"]) == 2 for e in proposed["partitions"])

    leader = leaders(bs, "tooled")[0][0]
    newcomer = next(b for b in (1, 2, 3) if b not in leaders(bs, "tooled")[0][1])
    plan = {"version": 1, "partitions": [
        {"topic": "tooled", "partition": 0, "replicas": [newcomer, leader]},
    ]}  # fmt: skip
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    ex = odradek("reassign", "--bootstrap-server", bs, "--execute",
                 "--reassignment-json-file", str(path))  # fmt: skip
    assert ex.returncode == 0, ex.stdout + ex.stderr
    assert "Successfully started reassignment of 1 partitions" in ex.stdout

    def verified() -> bool:
        v = odradek("reassign", "--bootstrap-server", bs, "--verify",
                    "--reassignment-json-file", str(path))  # fmt: skip
        return v.returncode == 0 and "tooled-0 is completed" in v.stdout

    wait_for(verified, 30, "reassign --verify to report completion", step=0.5)
    assert leaders(bs, "tooled")[0][0] == leader  # the leader stayed: it is still a replica

    el = odradek("leader-election", "--bootstrap-server", bs, "--election-type", "preferred",
                 "--topic", "tooled", "--partition", "0")  # fmt: skip
    assert el.returncode == 0, el.stdout + el.stderr
    assert "Successfully completed leader election (PREFERRED)" in el.stdout
    wait_for(lambda: leaders(bs, "tooled")[0][0] == newcomer, 15, "the preferred leader")
    again = odradek("leader-election", "--bootstrap-server", bs, "--election-type", "preferred",
                    "--all-topic-partitions")  # fmt: skip
    assert again.returncode == 0 and "Valid replica already elected" in again.stdout
