"""odradek-specific server behaviour: admin HTTP endpoint, flags, SIGTERM, limits, purge."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from kazoo.client import KazooClient
from zk_servers import RawClient, ZkProcess, four_letter

from odradek.testing.process import free_port, wait_for_port

pytestmark = pytest.mark.interop


def test_admin_server_json(tmp_path: Path) -> None:
    zk = ZkProcess("odradek", tmp_path).start()
    try:
        base = f"http://127.0.0.1:{zk.admin_port}/commands"
        with urllib.request.urlopen(f"{base}/monitor", timeout=5) as resp:
            body = json.load(resp)
        assert body["command"] == "monitor" and body["server_state"] == "standalone"
        assert body["error"] is None and body["znode_count"] >= 4
        with urllib.request.urlopen(f"{base}/srvr", timeout=5) as resp:
            assert json.load(resp)["command"] == "server_stats"
        with urllib.request.urlopen(base, timeout=5) as resp:
            assert "watch_summary" in json.load(resp)["commands"]
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/nonsense", timeout=5)
    finally:
        zk.stop()


def test_flags_sigterm_and_restart(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    (data / "myid").write_text("7\n")
    args = [sys.executable, "-m", "odradek.cli", "zk", "--port", str(port),
            "--address", "127.0.0.1", "--data-dir", str(data), "--tick-time", "200",
            "--set", "admin.enableServer=false",
            "--set", "4lw.commands.whitelist=conf,srvr"]  # fmt: skip
    proc = subprocess.Popen(args, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, None, 20)
        conf = four_letter(port, "conf")
        assert "serverId=7" in conf and "tickTime=200" in conf
        assert "not in the whitelist" in four_letter(port, "ruok")
        c = KazooClient(hosts=f"127.0.0.1:{port}")
        c.start(timeout=15)
        c.create("/kept", b"1")
        c.stop()
        c.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    proc = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, None, 20)
        c = KazooClient(hosts=f"127.0.0.1:{port}")
        c.start(timeout=15)
        assert c.get("/kept")[0] == b"1"
        c.stop()
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


def test_max_client_cnxns_per_ip(tmp_path: Path) -> None:
    zk = ZkProcess("odradek", tmp_path, {"maxClientCnxns": "2"}).start()
    raws = []
    try:
        raws = [RawClient(zk.port) for _ in range(2)]
        for r in raws:
            r.connect()
        extra = RawClient(zk.port)
        raws.append(extra)
        assert extra.closed(5.0)
    finally:
        for r in raws:
            r.close()
        zk.stop()


def test_snapshots_logs_and_autopurge(tmp_path: Path) -> None:
    extra = {"snapCount": "20", "autopurge.snapRetainCount": "3",
             "autopurge.purgeInterval": "0.0003", "preAllocSize": "64"}  # fmt: skip
    zk = ZkProcess("odradek", tmp_path, extra).start()
    try:
        c = KazooClient(hosts=zk.hosts)
        c.start(timeout=15)
        for i in range(150):
            c.create(f"/n{i}")
        c.stop()
        c.close()
        time.sleep(2.5)  # purge interval is ~1 s
        files = sorted(p.name for p in (zk.data / "version-2").iterdir())
        snaps = [f for f in files if f.startswith("snapshot.") and not f.endswith(".tmp")]
        logs = [f for f in files if f.startswith("log.")]
        assert len(snaps) == 3, files
        assert logs, files
        oldest = min(int(s.split(".")[1], 16) for s in snaps)
        assert all(int(log.split(".")[1], 16) >= oldest - 25 for log in logs), files
        zk.kill9()
        zk.start()
        c = KazooClient(hosts=zk.hosts)
        c.start(timeout=15)
        assert len([k for k in c.get_children("/") if k.startswith("n")]) == 150
        c.stop()
        c.close()
    finally:
        zk.stop()
