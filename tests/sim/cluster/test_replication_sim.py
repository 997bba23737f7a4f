"""Deterministic simulation of one partition replicated on three brokers, over many seeds.

The model drives odradek's own decision code — :class:`Partition` (follower progress, ISR
shrink/expand, high watermark), :mod:`odradek.controller.election` (clean leader election),
:mod:`odradek.replication.truncation` (OffsetForLeaderEpoch answers, truncation) — with a
virtual clock, a ZooKeeper-like partition state (compare-and-set on a version), random
crashes and restarts, partial fetches and ISR changes.
Logs are lists of ``(leader_epoch, record_id)``.

Invariants, checked after every step:
* one leader per leader epoch;
* every acknowledged record (acks=all: the high watermark passed it) is, at its offset, in the
  log of the current leader and of every replica whose high watermark is past it;
* a live replica's high watermark never exceeds its log end offset.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from odradek.controller import election
from odradek.replication.partition import Partition
from odradek.replication.truncation import end_of_epoch, epoch_end_offset, truncation_offset

REPLICAS = (1, 2, 3)
LAG_MS = 300
MIN_ISR = 2
Entry = tuple[int, int]


@dataclass
class Replica:
    node: int
    log: list[Entry] = field(default_factory=list)
    hw: int = 0
    alive: bool = True
    part: Partition | None = None
    needs_truncation: bool = False

    def epochs(self) -> list[tuple[int, int]]:
        """The leader epoch cache of this log: (epoch, start offset) entries."""
        out: list[tuple[int, int]] = []
        for i, (e, _) in enumerate(self.log):
            if not out or out[-1][0] != e:
                out.append((e, i))
        return out

    @property
    def latest_epoch(self) -> int:
        return self.log[-1][0] if self.log else -1


class Sim:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = 0
        self.replicas = {n: Replica(n) for n in REPLICAS}
        for r in self.replicas.values():
            r.part = Partition("t", 0, r.node)
        self.zk = {"leader": -1, "epoch": -1, "isr": REPLICAS, "version": 0}
        self.leaders_by_epoch: dict[int, int] = {}
        self.pending: list[tuple[int, Entry, int]] = []  # (offset, entry, leader epoch)
        self.acked: dict[int, Entry] = {}
        self.next_id = 0
        self.elect()

    # ------------------------------------------------------------ controller
    def live(self) -> set[int]:
        return {n for n, r in self.replicas.items() if r.alive}

    def elect(self) -> None:
        live = self.live()
        cur = self.zk
        if cur["leader"] in live:
            new = (cur["leader"], election.without(cur["isr"], set(REPLICAS) - live, cur["leader"]))
        else:
            new = election.offline(REPLICAS, cur["isr"], live, unclean=False) or (-1, cur["isr"])
        if (new[0], tuple(new[1])) == (cur["leader"], tuple(cur["isr"])) and cur["epoch"] >= 0:
            return
        epoch = cur["epoch"] + 1
        self.zk = {
            "leader": new[0],
            "epoch": epoch,
            "isr": tuple(new[1]),
            "version": cur["version"] + 1,
        }
        if new[0] >= 0:
            assert self.leaders_by_epoch.setdefault(epoch, new[0]) == new[0]
        for n in live:
            self.leader_and_isr(n)

    def leader_and_isr(self, n: int) -> None:
        r, z = self.replicas[n], self.zk
        assert r.part is not None
        changed = r.part.apply(
            z["leader"], z["epoch"], z["isr"], REPLICAS, z["version"], 1, self.now
        )
        if not r.part.is_leader and changed:
            r.needs_truncation = True

    def cas_isr(self, part: Partition, isr: tuple[int, ...]) -> None:
        z = self.zk
        if part.leader_epoch != z["epoch"] or part.zk_version != z["version"]:
            part.pending_isr = None
            return
        self.zk = {**z, "isr": isr, "version": z["version"] + 1}
        part.isr, part.zk_version, part.pending_isr = isr, self.zk["version"], None

    # ------------------------------------------------------------ actions
    def leader(self) -> Replica | None:
        n = self.zk["leader"]
        r = self.replicas.get(n)
        if r is None or not r.alive or r.part is None or not r.part.is_leader:
            return None
        return r

    def produce(self) -> None:
        r = self.leader()
        if r is None or r.part is None or len(r.part.isr) < MIN_ISR:
            return  # NOT_ENOUGH_REPLICAS: nothing appended
        for _ in range(self.rng.randint(1, 3)):
            entry = (r.part.leader_epoch, self.next_id)
            self.next_id += 1
            self.pending.append((len(r.log), entry, r.part.leader_epoch))
            r.log.append(entry)
        self.advance_hw(r)

    def advance_hw(self, r: Replica) -> None:
        assert r.part is not None
        r.hw = r.part.high_watermark(len(r.log), r.hw)
        keep = []
        for off, entry, epoch in self.pending:
            if r.part.leader_epoch == epoch and off < r.hw and r.log[off] == entry:
                self.acked[off] = entry
            elif r.part.leader_epoch == epoch:
                keep.append((off, entry, epoch))
        self.pending = keep

    def fetch(self, n: int) -> None:
        f, lead = self.replicas[n], self.leader()
        if lead is None or lead is f or not f.alive or f.part is None or lead.part is None:
            return
        if f.part.leader_epoch != lead.part.leader_epoch:
            return  # the follower has not heard of this leader yet
        if f.needs_truncation:
            epoch, end = epoch_end_offset(lead.epochs(), len(lead.log), f.latest_epoch)
            target = truncation_offset(
                len(f.log), f.hw, f.latest_epoch,
                lambda e: end_of_epoch(f.epochs(), len(f.log), e), epoch, end,
            )  # fmt: skip
            del f.log[target:]
            f.hw = min(f.hw, len(f.log))
            f.needs_truncation = False
            return  # the next fetch comes in a later step: other events may come first
        offset = len(f.log)
        if offset > len(lead.log):
            f.needs_truncation = True
            return
        assert f.log == lead.log[:offset], "a follower fetches on a diverged log"
        lead.part.on_follower_fetch(n, offset, len(lead.log), self.now)
        expand = lead.part.isr_to_expand(lead.hw)
        if expand is not None:
            self.cas_isr(lead.part, expand)
        self.advance_hw(lead)
        take = self.rng.randint(0, len(lead.log) - offset)
        f.log.extend(lead.log[offset : offset + take])
        f.hw = min(lead.hw, len(f.log))

    def crash(self, n: int) -> None:
        if len(self.live()) <= 1:
            return
        self.replicas[n].alive = False
        if self.rng.random() < 0.7:
            self.elect()  # the controller notices at once (else: after a later step)

    def restart(self, n: int) -> None:
        r = self.replicas[n]
        if r.alive:
            return
        r.alive = True
        r.part = Partition("t", 0, n)  # in-memory state is lost; the log and hw survive
        self.elect()
        self.leader_and_isr(n)

    def shrink(self) -> None:
        r = self.leader()
        if r is not None and r.part is not None:
            new = r.part.isr_to_shrink(self.now, LAG_MS)
            if new is not None:
                self.cas_isr(r.part, new)
                self.advance_hw(r)

    def step(self) -> None:
        self.now += self.rng.randint(1, 50)
        x = self.rng.random()
        node = self.rng.choice(REPLICAS)
        if x < 0.35:
            self.produce()
        elif x < 0.80:
            self.fetch(node)
        elif x < 0.85:
            self.crash(node)
        elif x < 0.92:
            self.restart(node)
        elif x < 0.96:
            self.shrink()
        else:
            self.elect()
        self.check()

    # ------------------------------------------------------------ invariants
    def check(self) -> None:
        lead = self.leader()
        for off, entry in self.acked.items():
            if lead is not None:
                assert off < len(lead.log) and lead.log[off] == entry, (
                    f"acknowledged {entry} at {off} missing from leader {lead.node}"
                )
            for r in self.replicas.values():
                if r.alive and r.hw > off and not r.needs_truncation:
                    assert r.log[off] == entry, f"replica {r.node} diverges below its hw"
        for r in self.replicas.values():
            assert r.hw <= len(r.log)


@pytest.mark.parametrize("seed", range(150))
def test_no_acknowledged_record_lost(seed: int) -> None:
    sim = Sim(seed)
    for _ in range(400):
        sim.step()
    # liveness sanity: with everything restarted, the cluster makes progress again
    for n in REPLICAS:
        sim.restart(n)
    for _ in range(200):
        sim.fetch(sim.rng.choice(REPLICAS))
        sim.produce()
        sim.check()
    assert sim.leader() is not None
