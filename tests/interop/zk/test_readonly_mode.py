"""Read-only mode (``readonlymode.enabled``) on a 3-member ensemble, odradek and Apache 3.8.

Two members stop; the survivor serves kazoo ``read_only=True`` clients from its last state
(reads succeed, writes raise NotReadOnlyCallError, plain clients are refused, ``isro`` says
``null`` while electing, then ``ro``); once the others are back it leaves read-only mode and
the client writes again.
Apache needs ``localSessionsEnabled=true`` to hand out read-only sessions (without it the
session creation is answered by a bare NOTREADONLY header), so its members get that line.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NotReadOnlyCallError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KazooState
from zk_servers import ZkProcess, apache_available, four_letter

from odradek.testing.process import free_port

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


class RoMember(ZkProcess):
    def command(self) -> list[str]:
        cmd = super().command()
        if self.kind == "apache":
            cmd.insert(1, "-Dreadonlymode.enabled=true")
        return cmd


class RoEnsemble:
    def __init__(self, kind: str, base: Path) -> None:
        ports = {i: (free_port(), free_port()) for i in (1, 2, 3)}
        extra = {
            "initLimit": "10",
            "syncLimit": "5",
            "tickTime": "200",
            **{f"server.{i}": f"127.0.0.1:{p}:{e}" for i, (p, e) in ports.items()},
        }
        if kind == "odradek":
            extra["readonlymode.enabled"] = "true"
        else:
            extra["localSessionsEnabled"] = "true"
        self.members: dict[int, RoMember] = {}
        for i in (1, 2, 3):
            m = RoMember(kind, base / f"s{i}", extra)
            (m.data / "myid").write_text(f"{i}\n")
            self.members[i] = m

    def hosts(self) -> str:
        return ",".join(m.hosts for m in self.members.values())

    def launch(self, *ids: int) -> None:
        for i in ids:
            m = self.members[i]
            log = (m.base / "server.log").open("ab")
            m.proc = subprocess.Popen(m.command(), stdout=log, stderr=subprocess.STDOUT)
            log.close()

    def word(self, i: int, word: str) -> str:
        try:
            return four_letter(self.members[i].port, word, 1.0)
        except OSError:
            return ""

    def mode(self, i: int) -> str:
        for line in self.word(i, "srvr").splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return ""

    def wait(self, what: str, check: object, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(check) and check():
                return
            time.sleep(0.1)
        logs = "\n".join(m.log_text()[-1500:] for m in self.members.values())
        raise TimeoutError(f"{what}\n{logs}")

    def stop(self) -> None:
        for m in self.members.values():
            m.stop()


@pytest.fixture(params=KINDS)
def ensemble(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RoEnsemble]:
    ens = RoEnsemble(request.param, tmp_path)
    ens.launch(1, 2, 3)
    try:
        ens.wait("ensemble not serving", lambda: all(ens.mode(i) for i in (1, 2, 3)))
        yield ens
    finally:
        ens.stop()


def raw_connect(port: int, read_only: bool) -> bytes:
    """Send a ConnectRequest; return the reply frame (b"" if the server closed)."""
    body = struct.pack(">iqiqi", 0, 0, 10000, 0, 16) + bytes(16) + bytes([read_only])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        out = b""
        try:
            while chunk := s.recv(4096):
                out += chunk
                if len(out) >= 4 and len(out) >= 4 + struct.unpack_from(">i", out)[0]:
                    break
        except (TimeoutError, ConnectionError):
            pass
    return out[4:]


def test_survivor_serves_read_only_clients_until_quorum_returns(ensemble: RoEnsemble) -> None:
    rw = KazooClient(hosts=ensemble.hosts(), timeout=10.0)
    rw.start(timeout=20)
    rw.create("/ro", b"v1")
    rw.stop()
    rw.close()
    leader = next(i for i in (1, 2, 3) if ensemble.mode(i) == "leader")
    survivor = next(i for i in (1, 2, 3) if i != leader)
    others = [i for i in (1, 2, 3) if i != survivor]
    for i in others:
        ensemble.members[i].stop()
    answers: list[str] = []

    def read_only() -> bool:
        answers.append(ensemble.word(survivor, "isro"))
        return answers[-1] == "ro"

    ensemble.wait("no read-only mode", read_only, 30)
    assert "null" in answers  # while electing, before read-only mode: no server runs
    assert ensemble.mode(survivor) == "read-only"
    assert "READ-ONLY mode" in ensemble.word(survivor, "srvr")
    assert "zk_server_state\tread-only" in ensemble.word(survivor, "mntr")
    member = ensemble.members[survivor]
    if member.kind == "odradek":  # the AdminServer-like endpoint says the same
        url = f"http://127.0.0.1:{member.admin_port}/commands/is_read_only"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert json.load(resp)["read_only"] is True

    reply = raw_connect(ensemble.members[survivor].port, read_only=True)
    assert len(reply) == 37 and reply[-1] == 1  # ConnectResponse with readOnly set
    (session_id,) = struct.unpack_from(">q", reply, 8)
    assert session_id != 0
    assert raw_connect(ensemble.members[survivor].port, read_only=False) == b""
    plain = KazooClient(hosts=ensemble.members[survivor].hosts, timeout=4.0)
    with pytest.raises(KazooTimeoutError):
        plain.start(timeout=3)
    plain.stop()
    plain.close()

    ro = KazooClient(hosts=ensemble.hosts(), timeout=10.0, read_only=True)
    states: list[KazooState] = []
    ro.add_listener(states.append)
    ro.start(timeout=20)
    ro_session = ro.client_id[0]
    try:
        assert ro.get("/ro")[0] == b"v1"
        assert ro.exists("/ro") is not None
        assert "ro" in ro.get_children("/")
        with pytest.raises(NotReadOnlyCallError):
            ro.set("/ro", b"v2")
        with pytest.raises(NotReadOnlyCallError):
            ro.create("/ro/child")
        with pytest.raises(NotReadOnlyCallError):
            ro.sync("/ro")

        ensemble.launch(*others)

        def writes() -> bool:
            try:
                ro.set("/ro", b"v2")
                return True
            except Exception:
                return False

        ensemble.wait("no writes after the quorum came back", writes, 60)
        assert ro.get("/ro")[0] == b"v2"
        # the read-only session was local to the survivor: the client had to start a new one
        assert KazooState.LOST in states and ro.client_id[0] != ro_session
        rejoined = ("leader", "follower")
        ensemble.wait("survivor did not rejoin", lambda: ensemble.mode(survivor) in rejoined, 30)
        assert ensemble.word(survivor, "isro") == "rw"
    finally:
        ro.stop()
        ro.close()
