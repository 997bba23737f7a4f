"""An ``odradek zk`` ensemble of real processes on loopback, driven by kazoo clients.

Three servers: writes on one are read on another after sync, watches fire on every server,
ephemerals vanish everywhere; kill -9 of the leader under write load loses no acknowledged write
and writes resume within seconds. Five servers: with three killed the two left refuse writes;
restarted, the three catch up (DIFF for the ones that missed writes).
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ensemble_procs import Ensemble
from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, KazooException, SessionExpiredError
from kazoo.handlers.threading import KazooTimeoutError
from zk_servers import RawClient, ustr

pytestmark = pytest.mark.timeout(120)


def client(hosts: str, timeout: float = 6.0) -> KazooClient:
    c = KazooClient(
        hosts=hosts, timeout=timeout, connection_retry={"max_tries": -1, "max_delay": 0.2}
    )
    c.start(timeout=20)
    return c


@pytest.fixture()
def three(tmp_path: Path) -> Iterator[Ensemble]:
    ens = Ensemble(tmp_path, 3)
    ens.start()
    yield ens
    ens.stop()


def test_write_on_one_read_on_another_and_watches_everywhere(three: Ensemble) -> None:
    c1, c2, c3 = (client(three.hosts(i)) for i in (1, 2, 3))
    try:
        c1.create("/app", b"v0")
        c2.sync("/app")
        assert c2.get("/app")[0] == b"v0"
        fired: dict[str, threading.Event] = {"c2": threading.Event(), "c3": threading.Event()}
        c2.get("/app", watch=lambda e: fired["c2"].set())
        c3.sync("/app")
        c3.get("/app", watch=lambda e: fired["c3"].set())
        stat = c3.set("/app", b"v1")  # written through a follower (or the leader)
        assert stat.version == 1
        assert fired["c2"].wait(5) and fired["c3"].wait(5)
        c1.sync("/app")
        assert c1.get("/app")[0] == b"v1"
        seqs = [c.create("/app/s-", b"", sequence=True) for c in (c1, c2, c3, c1)]
        assert seqs == sorted(seqs) and len(set(seqs)) == 4
        c3.create("/app/eph", b"", ephemeral=True)
        c1.sync("/app/eph")
        assert c1.exists("/app/eph") is not None
        c3.stop()
        c2.sync("/app")
        assert c2.exists("/app/eph") is None
    finally:
        for c in (c1, c2, c3):
            c.stop()
            c.close()


def test_kill_leader_under_write_load(three: Ensemble) -> None:
    leader = three.leader()
    c = client(three.hosts())
    acked: list[str] = []
    done = threading.Event()
    times: list[float] = []

    def writer() -> None:
        i = 0
        while not done.is_set():
            i += 1
            try:
                path = c.create(f"/load/n{i:06d}", b"x", makepath=True)
                acked.append(path)
                times.append(time.monotonic())
            except (ConnectionLoss, SessionExpiredError, KazooTimeoutError, KazooException):
                time.sleep(0.05)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    time.sleep(1.5)
    before = len(acked)
    assert before > 10
    killed_at = time.monotonic()
    three.members[leader].kill9()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not [x for x in times if x > killed_at + 0.01]:
        time.sleep(0.05)
    resumed = [x for x in times if x > killed_at + 0.01]
    assert resumed, "writes did not resume after the leader was killed"
    failover = resumed[0] - killed_at
    time.sleep(1.0)
    done.set()
    t.join(10)
    survivors = [i for i in three.members if i != leader]
    assert three.leader() in survivors
    check = client(three.hosts(*survivors))
    try:
        check.sync("/load")
        present = {f"/load/{n}" for n in check.get_children("/load")}
        lost = [p for p in acked if p not in present]
        assert not lost, f"{len(lost)} acknowledged writes lost"
        three.start(leader)  # the old leader rejoins (TRUNC/DIFF) and catches up
        back = client(three.hosts(leader))
        back.sync("/load")
        assert {f"/load/{n}" for n in back.get_children("/load")} == present
        back.stop()
        back.close()
    finally:
        check.stop()
        check.close()
        c.stop()
        c.close()
    assert failover < 10, f"fail-over took {failover:.1f}s"
    print(f"fail-over {failover:.2f}s, {len(acked)} acknowledged writes")


def test_five_servers_minority_cannot_write_then_catch_up(tmp_path: Path) -> None:
    ens = Ensemble(tmp_path, 5)
    ens.start()
    try:
        c = client(ens.hosts())
        c.create("/before", b"1")
        c.stop()
        c.close()
        leader = ens.leader()
        doomed = [leader, *[i for i in ens.members if i != leader][:2]]
        left = [i for i in ens.members if i not in doomed]
        for i in doomed:
            ens.members[i].kill9()
        minority = KazooClient(hosts=ens.hosts(*left), timeout=3.0)
        with pytest.raises((KazooTimeoutError, ConnectionLoss, SessionExpiredError)):
            minority.start(timeout=4)
            minority.create("/during", b"x")
        minority.stop()
        minority.close()
        assert all(ens.mode(i) == "" for i in left)  # not serving: no quorum
        ens.start(doomed[1], doomed[2])  # a quorum again
        c = client(ens.hosts(*left, doomed[1], doomed[2]))
        c.create("/after", b"2")
        c.stop()
        c.close()
        ens.start(doomed[0])  # the old leader missed /after: it catches up
        for i in ens.members:
            r = client(ens.hosts(i))
            try:
                r.sync("/")
                assert r.get("/before")[0] == b"1", f"server {i}"
                assert r.get("/after")[0] == b"2", f"server {i}"
                assert r.exists("/during") is None
            finally:
                r.stop()
                r.close()
    finally:
        ens.stop()


def _create_ephemeral(port: int, path: str, timeout_ms: int) -> RawClient:
    raw = RawClient(port)
    raw.connect(timeout_ms)
    acl = struct.pack(">ii", 1, 31) + ustr("world") + ustr("anyone")
    raw.request(1, 1, ustr(path) + struct.pack(">i", 1) + b"x" + acl + struct.pack(">i", 1))
    assert raw.reply()[2] == 0
    return raw


def test_sessions_expire_by_the_leader_and_live_ones_stay(three: Ensemble) -> None:
    leader = three.leader()
    follower = next(i for i in three.members if i != leader)
    alive = client(three.hosts(follower), timeout=2.0)  # pings only reach the follower
    alive.create("/kept", b"", ephemeral=True)
    raw = _create_ephemeral(three.members[follower].port, "/gone", 1500)
    raw.close()  # the client vanishes without closing its session
    time.sleep(4.0)
    other = client(three.hosts(leader))
    try:
        other.sync("/")
        assert other.exists("/gone") is None
        assert other.exists("/kept") is not None
    finally:
        for c in (other, alive):
            c.stop()
            c.close()


def test_observer_forwards_writes_and_sees_commits(tmp_path: Path) -> None:
    ens = Ensemble(tmp_path, 3, observers=1)
    ens.start()
    try:
        assert ens.mode(4) == "observer"
        obs, voter = client(ens.hosts(4)), client(ens.hosts(1))
        fired = threading.Event()
        obs.create("/o", b"from-observer")
        voter.sync("/o")
        assert voter.get("/o")[0] == b"from-observer"
        obs.get("/o", watch=lambda e: fired.set())
        voter.set("/o", b"changed")
        assert fired.wait(5)
        assert obs.get("/o")[0] == b"changed"
        for c in (obs, voter):
            c.stop()
            c.close()
    finally:
        ens.stop()
