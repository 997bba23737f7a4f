"""``odradek groups`` against a real broker: list, describe with lag, reset, delete."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from confluent_kafka import Consumer

from groups.group_procs import create_topic, produce, wait_until
from odradek.testing.process import BrokerProcess

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def tool_broker(tmp_path_factory: pytest.TempPathFactory) -> BrokerProcess:
    props = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "4"}
    proc = BrokerProcess(tmp_path_factory.mktemp("gtool") / "data", props=props).start()
    yield proc  # type: ignore[misc]
    proc.stop()


def groups(bs: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "odradek.cli", "groups", "--bootstrap-server", bs, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def offsets_table(out: str) -> dict[int, list[str]]:
    """PARTITION -> the row's columns, from a --describe offsets table."""
    rows: dict[int, list[str]] = {}
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[0] == "tg" and cols[2].isdigit():
            rows[int(cols[2])] = cols
    return rows


def test_list_describe_reset_delete(tool_broker: BrokerProcess) -> None:
    bs = tool_broker.bootstrap
    create_topic(bs, "tool-t", 3)
    produce(bs, "tool-t", 3, 5, "a")
    c = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": "tg",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "client.id": "tool-client",
        }
    )
    c.subscribe(["tool-t"])
    seen = 0
    deadline = time.monotonic() + 30
    while seen < 15 and time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            seen += 1
    c.commit(asynchronous=False)
    try:
        assert "tg" in groups(bs, "--list").stdout.split()
        produce(bs, "tool-t", 3, 2, "b")
        out = groups(bs, "--describe", "--group", "tg")
        assert out.returncode == 0, out.stderr
        rows = offsets_table(out.stdout)
        assert sorted(rows) == [0, 1, 2]
        assert all(r[3:6] == ["5", "7", "2"] for r in rows.values()), out.stdout
        assert all(r[8] == "tool-client" for r in rows.values())
        members = groups(bs, "--describe", "--group", "tg", "--members", "--verbose").stdout
        assert "tool-t(0,1,2)" in members and " 3 " in members
        assert "Stable" in groups(bs, "--describe", "--group", "tg", "--state").stdout
        busy = groups(
            bs,
            "--reset-offsets",
            "--group",
            "tg",
            "--topic",
            "tool-t",
            "--to-earliest",
            "--execute",
        )
        assert busy.returncode == 1 and "inactive" in busy.stderr
    finally:
        c.close()
    wait_until(
        lambda: "Empty" in groups(bs, "--describe", "--group", "tg", "--state").stdout,
        15,
        "group empty after close",
    )
    dry = groups(bs, "--reset-offsets", "--group", "tg", "--topic", "tool-t", "--to-earliest")
    assert dry.returncode == 0 and "--execute option is missing" in dry.stdout
    assert {
        r[3] for r in offsets_table(groups(bs, "--describe", "--group", "tg").stdout).values()
    } == {"5"}

    def reset(*how: str) -> dict[int, str]:
        res = groups(bs, "--reset-offsets", "--group", "tg", "--topic", "tool-t", *how, "--execute")
        assert res.returncode == 0, res.stderr
        return {
            p: r[3]
            for p, r in offsets_table(groups(bs, "--describe", "--group", "tg").stdout).items()
        }

    assert reset("--to-offset", "3") == {0: "3", 1: "3", 2: "3"}
    assert reset("--shift-by", "-1") == {0: "2", 1: "2", 2: "2"}
    assert reset("--shift-by", "100") == {0: "7", 1: "7", 2: "7"}  # clamped to the log end
    assert reset("--to-datetime", "2000-01-01T00:00:00.000") == {0: "0", 1: "0", 2: "0"}
    assert reset("--to-latest") == {0: "7", 1: "7", 2: "7"}
    res = groups(
        bs, "--reset-offsets", "--group", "tg", "--topic", "tool-t:1", "--to-earliest", "--execute"
    )
    assert res.returncode == 0
    deleted = groups(bs, "--delete-offsets", "--group", "tg", "--topic", "tool-t:0")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    after = offsets_table(groups(bs, "--describe", "--group", "tg").stdout)
    assert {p: r[3] for p, r in after.items()} == {1: "0", 2: "7"}
    gone = groups(bs, "--delete", "--group", "tg")
    assert gone.returncode == 0 and "was successful" in gone.stdout
    assert "tg" not in groups(bs, "--list").stdout.split()
    again = groups(bs, "--delete", "--group", "tg")
    assert again.returncode == 1
