"""Start an ``odradek zk`` ensemble (N processes on loopback) for interop tests.

Each member gets a free client, peer and election port, its own dataDir with a ``myid`` file and
the same ``server.N`` lines; processes are stopped by the PID they were given.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from zk_servers import ZkProcess, four_letter

from odradek.testing.process import free_port


class Ensemble:
    def __init__(self, base: Path, n: int, tick: int = 200, observers: int = 0) -> None:
        ports = {i: (free_port(), free_port()) for i in range(1, n + observers + 1)}
        servers = {
            f"server.{i}": f"127.0.0.1:{p}:{e}" + (":observer" if i > n else "")
            for i, (p, e) in ports.items()
        }
        extra = {"initLimit": "10", "syncLimit": "5", "tickTime": str(tick), **servers}
        self.members: dict[int, ZkProcess] = {}
        for i in range(1, n + observers + 1):
            proc = ZkProcess("odradek", base / f"s{i}", extra)
            (proc.data / "myid").write_text(f"{i}\n")
            self.members[i] = proc

    def hosts(self, *ids: int) -> str:
        return ",".join(self.members[i].hosts for i in ids or self.members)

    def start(self, *ids: int, timeout: float = 30.0) -> None:
        import subprocess

        chosen = ids or tuple(self.members)
        for i in chosen:
            m = self.members[i]
            log = (m.base / "server.log").open("ab")
            m.proc = subprocess.Popen(m.command(), stdout=log, stderr=subprocess.STDOUT)
            log.close()
        for i in chosen:
            self.wait_serving(i, timeout)

    def mode(self, i: int) -> str:
        with contextlib.suppress(OSError):
            for line in four_letter(self.members[i].port, "srvr", 0.5).splitlines():
                if line.startswith("Mode:"):
                    return line.split(":", 1)[1].strip()
        return ""

    def wait_serving(self, i: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.mode(i):
                return
            m = self.members[i]
            if not m.alive():
                raise RuntimeError(f"server {i} exited: {m.log_text()[-2000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"server {i} not serving: {self.members[i].log_text()[-3000:]}")

    def leader(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, m in self.members.items():
                if m.alive() and self.mode(i) == "leader":
                    return i
            time.sleep(0.05)
        raise TimeoutError("no leader")

    def stop(self) -> None:
        for m in self.members.values():
            m.stop()
