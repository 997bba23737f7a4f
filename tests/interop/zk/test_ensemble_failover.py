"""Leader fail-over of an ``odradek zk`` ensemble with ZooKeeper's default timing (tickTime
2000, initLimit 10, syncLimit 5): kill -9 of the leader, restart, kill -9 of the next leader.

Followers notice the dead leader by its closed connection (as ZooKeeper's do), not by the
``syncLimit`` timeout, and a restarted member rejoins at once instead of after ``initLimit``
ticks: every step must finish well inside the 10-20 s those timeouts would take.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ensemble_procs import Ensemble

pytestmark = pytest.mark.timeout(120)

LIMIT = 8.0  # s; the syncLimit / initLimit timeouts are 10 s / 20 s at tickTime 2000


def _wait_leader(ens: Ensemble, among: list[int]) -> tuple[int, float]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        for i in among:
            if ens.mode(i) == "leader":
                return i, time.monotonic() - t0
        time.sleep(0.05)
    raise AssertionError(f"no leader among {among} within 30 s")


def _wait_follower(ens: Ensemble, i: int) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        if ens.mode(i) == "follower":
            return time.monotonic() - t0
        time.sleep(0.05)
    raise AssertionError(f"server {i} did not rejoin as a follower within 30 s")


def test_leader_killed_twice_with_default_tick(tmp_path: Path) -> None:
    ens = Ensemble(tmp_path, 3, tick=2000)
    ens.start()
    try:
        for _round in range(2):
            old = ens.leader()
            ens.members[old].kill9()
            new, took = _wait_leader(ens, [i for i in ens.members if i != old])
            assert took < LIMIT, f"new leader after {took:.1f} s"
            ens.start(old)
            rejoin = _wait_follower(ens, old)
            assert rejoin < LIMIT, f"restarted member followed after {rejoin:.1f} s"
            assert ens.leader() == new
    finally:
        ens.stop()
