"""ZooKeeper-protocol servers for interop tests: ``odradek zk`` and Apache ZooKeeper 3.8.

Both are started as real processes on a free loopback port from a generated zoo.cfg, with the
same settings (short tick so session expiry is quick), and stopped by the PID they were given.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from odradek.testing.process import free_port

APACHE_CP = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
TICK = 500
MIN_TIMEOUT = 1000


def apache_available() -> bool:
    return shutil.which("java") is not None and os.path.exists("/usr/share/java/zookeeper.jar")


def four_letter(port: int, word: str, timeout: float = 2.0) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(word.encode())
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    return out.decode(errors="replace")


class ZkProcess:
    """One server process; ``kind`` is "odradek" or "apache"."""

    def __init__(self, kind: str, base: Path, extra: dict[str, str] | None = None) -> None:
        self.kind = kind
        self.base = base
        self.port = free_port()
        self.admin_port = free_port()
        self.data = base / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.cfg = base / "zoo.cfg"
        settings = {
            "tickTime": str(TICK),
            "dataDir": str(self.data),
            "clientPort": str(self.port),
            "clientPortAddress": "127.0.0.1",
            "maxClientCnxns": "0",
            "minSessionTimeout": str(MIN_TIMEOUT),
            "maxSessionTimeout": "60000",
            "4lw.commands.whitelist": "*",
            "admin.enableServer": "true" if kind == "odradek" else "false",
            "admin.serverPort": str(self.admin_port),
            "admin.serverAddress": "127.0.0.1",
            "autopurge.purgeInterval": "0",
            **(extra or {}),
        }
        self.cfg.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "odradek":
            return [sys.executable, "-m", "odradek.cli", "zk", "--config", str(self.cfg)]
        return [
            "java",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-Dzookeeper.admin.enableServer=false",
            "-Dzookeeper.extendedTypesEnabled=true",
            "-cp",
            APACHE_CP,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            str(self.cfg),
        ]

    def start(self, timeout: float = 30.0) -> ZkProcess:
        log = (self.base / "server.log").open("ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.log_text()[-2000:]}")
            with contextlib.suppress(OSError):
                if "Mode:" in four_letter(self.port, "srvr", 0.5):
                    return self  # serving (Apache answers ruok before it serves)
            time.sleep(0.1)
        raise TimeoutError(f"{self.kind} did not answer srvr on {self.port}")

    def log_text(self) -> str:
        path = self.base / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class RawClient:
    """A minimal hand-rolled protocol client, to observe exact frame order and bad input."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send_frame(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def recv_exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out

    def recv_frame(self) -> bytes:
        (n,) = struct.unpack(">i", self.recv_exact(4))
        return self.recv_exact(n)

    def connect(self, timeout_ms: int = 10000) -> int:
        self.send_frame(struct.pack(">iqiqi", 0, 0, timeout_ms, 0, 16) + bytes(16) + b"\0")
        resp = self.recv_frame()
        (_proto, _to, session_id) = struct.unpack_from(">iiq", resp)
        return int(session_id)

    def request(self, xid: int, op: int, body: bytes) -> None:
        self.send_frame(struct.pack(">ii", xid, op) + body)

    def reply(self) -> tuple[int, int, int, bytes]:
        frame = self.recv_frame()
        xid, zxid, err = struct.unpack_from(">iqi", frame)
        return xid, zxid, err, frame[16:]

    def closed(self, wait: float = 5.0) -> bool:
        self.sock.settimeout(wait)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except ConnectionError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def ustr(s: str) -> bytes:
    raw = s.encode()
    return struct.pack(">i", len(raw)) + raw
