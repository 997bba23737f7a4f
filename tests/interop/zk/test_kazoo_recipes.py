"""kazoo recipes (Lock, Election, Counter, Barrier) and session expiry of a killed client."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout
from kazoo.recipe.barrier import Barrier
from kazoo.recipe.counter import Counter
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock
from zk_servers import ZkProcess

pytestmark = pytest.mark.interop


def test_lock_is_exclusive(make_client) -> None:  # type: ignore[no-untyped-def]
    a: KazooClient = make_client()
    b: KazooClient = make_client()
    lock_a, lock_b = Lock(a, "/recipes/lock", "a"), Lock(b, "/recipes/lock", "b")
    assert lock_a.acquire(timeout=5)
    with pytest.raises(LockTimeout):
        lock_b.acquire(timeout=0.5)
    assert lock_b.contenders() == ["a"]
    got = threading.Event()

    def wait_b() -> None:
        if lock_b.acquire(timeout=10):
            got.set()

    t = threading.Thread(target=wait_b)
    t.start()
    time.sleep(0.2)
    assert not got.is_set()
    lock_a.release()
    assert got.wait(10)
    t.join(10)
    lock_b.release()


def test_election_picks_one_leader_then_the_next(make_client) -> None:  # type: ignore[no-untyped-def]
    a: KazooClient = make_client()
    b: KazooClient = make_client()
    leader = []
    release_a = threading.Event()
    b_led = threading.Event()

    def lead_a() -> None:
        leader.append("a")
        release_a.wait(10)

    def lead_b() -> None:
        leader.append("b")
        b_led.set()

    ea, eb = Election(a, "/recipes/election", "a"), Election(b, "/recipes/election", "b")
    ta = threading.Thread(target=ea.run, args=(lead_a,))
    ta.start()
    deadline = time.monotonic() + 10
    while not leader and time.monotonic() < deadline:
        time.sleep(0.02)
    tb = threading.Thread(target=eb.run, args=(lead_b,))
    tb.start()
    time.sleep(0.3)
    assert leader == ["a"]
    assert sorted(eb.contenders()) == ["a", "b"]
    release_a.set()
    assert b_led.wait(10)
    assert leader == ["a", "b"]
    ta.join(10)
    tb.join(10)


def test_counter_from_two_clients(make_client) -> None:  # type: ignore[no-untyped-def]
    a: KazooClient = make_client()
    b: KazooClient = make_client()
    ca, cb = Counter(a, "/recipes/counter"), Counter(b, "/recipes/counter")

    def bump(counter: Counter) -> None:
        for _ in range(25):
            counter += 1

    threads = [threading.Thread(target=bump, args=(c,)) for c in (ca, cb)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert ca.value == 50 and cb.value == 50


def test_barrier(make_client) -> None:  # type: ignore[no-untyped-def]
    a: KazooClient = make_client()
    b: KazooClient = make_client()
    barrier = Barrier(a, "/recipes/barrier")
    barrier.create()
    waiting = Barrier(b, "/recipes/barrier")
    assert not waiting.wait(0.3)
    passed = threading.Event()
    t = threading.Thread(target=lambda: waiting.wait(10) and passed.set())
    t.start()
    time.sleep(0.2)
    assert not passed.is_set()
    barrier.remove()
    assert passed.wait(10)
    t.join(10)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from kazoo.client import KazooClient
    c = KazooClient(hosts=sys.argv[1], timeout=float(sys.argv[3]))
    c.start(timeout=15)
    c.create(sys.argv[2], b"held", ephemeral=True)
    print(hex(c.client_id[0]), flush=True)
    time.sleep(120)
    """
)


def test_session_expires_after_client_is_killed(zk: ZkProcess, client: KazooClient) -> None:
    timeout = 2.0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, zk.hosts, "/expiring", str(timeout)],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        session = int(holder.stdout.readline().decode().strip(), 16)
        stat = client.exists("/expiring")
        assert stat is not None and stat.ephemeralOwner & (2**64 - 1) == session
        gone = threading.Event()
        client.exists("/expiring", watch=lambda e: gone.set())
        killed_at = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        time.sleep(timeout * 0.5)
        assert not gone.is_set()  # not before the session timeout
        assert gone.wait(timeout * 3 + 5)
        elapsed = time.monotonic() - killed_at
        assert elapsed >= timeout * 0.5
        assert client.exists("/expiring") is None
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
