"""Deterministic simulation of election + atomic broadcast over many seeds.

Checks: no two txns are ever committed with the same zxid, every server applies in zxid order,
after healing the servers converge on one sequence that holds every acknowledged write, writes
are ordered consistently with real time (linearizable), and the ensemble writes again. Session
clients read on leaders and followers, with and without ``sync``: their reads are sequentially
consistent (monotonic per session, read-your-writes, only committed states) and a read after a
sync sees every txn committed before the sync was sent.
"""

from __future__ import annotations

import pytest
from ensemble_sim import Sim


def converge(sim: Sim) -> None:
    sim.heal()
    sim.run(8000, write_every=50)
    sim.run(4000)
    leader = sim.leader()
    assert leader is not None, "no established leader after healing"
    final = [t.zxid for t in leader.applied]
    for node in sim.live():
        assert [t.zxid for t in node.applied] == final, f"server {node.sid} diverged"
    present = {t.zxid: t for t in leader.applied}
    for zxid, txn in sim.acked.items():
        assert present.get(zxid) == txn, f"acknowledged txn {zxid:#x} lost"
    sim.check_real_time_order()
    sim.check_reads_committed(leader.applied)
    for kind, count in sim.checked.items():
        assert count > 10, f"only {count} {kind} answers checked"


@pytest.mark.parametrize("seed", range(30))
def test_three_servers_with_faults(seed: int) -> None:
    sim = Sim(seed, n=3)
    sim.run(20000, write_every=20, faults=True)
    converge(sim)
    assert len(sim.acked) > 20


@pytest.mark.parametrize("seed", range(12))
def test_five_servers_and_an_observer_with_faults(seed: int) -> None:
    sim = Sim(1000 + seed, n=5, observers=1)
    sim.run(15000, write_every=20, faults=True)
    converge(sim)
    assert len(sim.acked) > 20


def test_minority_cannot_write() -> None:
    sim = Sim(7, n=5, drop=0.0)
    sim.run(3000)
    assert sim.leader() is not None
    for sid in (1, 2, 3):
        sim.crash(sid)
    sim.run(3000)
    before = len(sim.acked)
    sim.run(3000, write_every=20)
    assert sim.leader() is None
    assert len(sim.acked) == before
    sim.heal()
    sim.run(4000, write_every=20)
    assert sim.leader() is not None
    assert len(sim.acked) > before
