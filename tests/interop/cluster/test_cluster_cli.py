"""``odradek cluster``: starts odradek zk and brokers, prints their status, serves clients, and
stops every process it started on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cluster_harness import AckedProducer, create_topic, read_all

pytestmark = pytest.mark.interop


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    st = Path(f"/proc/{pid}/stat")
    return st.exists() and st.read_text().split()[2] != "Z"


def test_odradek_cluster_command(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "odradek.cli", "cluster", "--brokers", "3",
         "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.startswith("zookeeper.connect="):
                break
        status = "\n".join(lines)
        assert "bootstrap.servers=" in status, status
        bootstrap = next(x for x in lines if x.startswith("bootstrap.servers=")).split("=", 1)[1]
        pids = [int(x.split("pid=")[1].split()[0]) for x in lines if "pid=" in x]
        assert len(pids) == 4  # zookeeper + 3 brokers
        create_topic(bootstrap, "cli", partitions=3, rf=3)
        producer = AckedProducer(bootstrap, "cli")
        producer.produce(300)
        assert producer.flush(30) == 0
        assert read_all(bootstrap, "cli", 3, expect=300) == producer.acked
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "cluster stopped" in out
    assert not [p for p in pids if _alive(p)]
