"""Seeded simulations: simulated classic and KIP-848 clients against the coordinator on a
virtual clock, with members starting, leaving and crashing at random.

Safety, checked after every step: members of the same generation never own a partition twice
(classic); no partition is ever owned by two members at once (KIP-848). Liveness, checked once
the churn stops: every live member is assigned, the assignments partition the topic.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from odradek.common.clock import ManualClock
from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import (
    ConsumerHeartbeatRequest,
    JoinGroupRequest,
    LeavingMember,
    SyncGroupRequest,
)
from odradek.coordinator.group.config import GroupConfig
from odradek.coordinator.group.service import GroupCoordinator
from odradek.coordinator.runtime import InMemoryPartition

PARTITIONS = 6
TOPIC_ID = uuid.UUID(int=7)
STEP_MS = 100


class Topics:
    def topic_id(self, name: str) -> uuid.UUID | None:
        return TOPIC_ID if name == "t" else None

    def partition_count(self, name: str) -> int:
        return PARTITIONS if name == "t" else 0

    def topic_names(self) -> list[str]:
        return ["t"]


def new_coordinator(clock: ManualClock) -> GroupCoordinator:
    config = GroupConfig(
        offsets_topic_num_partitions=1,
        group_initial_rebalance_delay_ms=300,
        group_min_session_timeout_ms=1000,
        consumer_session_timeout_ms=3000,
        consumer_heartbeat_interval_ms=500,
    )
    coord = GroupCoordinator(config, clock, Topics())
    part = InMemoryPartition()
    coord.load(0, part, part)
    return coord


class ClassicClient:
    """The JoinGroup/SyncGroup/Heartbeat loop of an eager consumer with a range assignor."""

    def __init__(self, coord: GroupCoordinator, clock: ManualClock) -> None:
        self.coord, self.clock = coord, clock
        self.member_id = ""
        self.generation = -1
        self.owned: set[int] = set()
        self.phase = "idle"  # idle -> joining -> syncing -> stable
        self.next_hb = 0

    def step(self) -> None:
        now = self.clock.now_ms()
        if self.phase == "idle":
            self.phase = "joining"
            self.owned = set()  # eager: give everything up before rejoining
            req = JoinGroupRequest(
                "g", self.member_id, 3000, 4000, "consumer", (("range", b""),), client_id="sim"
            )
            self.coord.join_group(req, self._joined)
        elif self.phase == "stable" and now >= self.next_hb:
            self.next_hb = now + 500
            self.coord.heartbeat("g", self.member_id, self.generation, None, self._beat)

    def _joined(self, resp: Any) -> None:
        if resp.error == ErrorCode.MEMBER_ID_REQUIRED:
            self.member_id, self.phase = resp.member_id, "idle"
            return
        if resp.error != ErrorCode.NONE:
            self._reset(resp.error)
            return
        self.generation, self.phase = resp.generation_id, "syncing"
        plan: dict[str, bytes] = {}
        if resp.members:
            ids = sorted(m.member_id for m in resp.members)
            for p in range(PARTITIONS):
                owner = ids[p * len(ids) // PARTITIONS]
                plan[owner] = plan.get(owner, b"") + bytes([p])
        req = SyncGroupRequest("g", self.generation, self.member_id, tuple(plan.items()))
        self.coord.sync_group(req, self._synced)

    def _synced(self, resp: Any) -> None:
        if resp.error != ErrorCode.NONE:
            self._reset(resp.error)
            return
        self.owned, self.phase = set(resp.assignment), "stable"
        self.next_hb = self.clock.now_ms() + 500

    def _beat(self, error: ErrorCode) -> None:
        if error != ErrorCode.NONE and self.phase == "stable":
            self._reset(error)

    def _reset(self, error: ErrorCode) -> None:
        if error in (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION):
            self.member_id = "" if error == ErrorCode.UNKNOWN_MEMBER_ID else self.member_id
        self.phase = "idle"
        self.owned = set()

    def leave(self) -> None:
        self.coord.leave_group("g", [LeavingMember(self.member_id)], lambda t, e: None)


class ConsumerClient:
    """A KIP-848 member: heartbeats with what it owns, adopts each assignment it is given."""

    def __init__(self, coord: GroupCoordinator, clock: ManualClock) -> None:
        self.coord, self.clock = coord, clock
        self.member_id = ""
        self.epoch = 0
        self.owned: set[int] = set()
        self.next_hb = 0

    def step(self) -> None:
        now = self.clock.now_ms()
        if now < self.next_hb:
            return
        self.next_hb = now + 500
        joining = self.epoch == 0
        req = ConsumerHeartbeatRequest(
            "cg",
            self.member_id,
            self.epoch,
            rebalance_timeout_ms=5000,
            subscribed_topic_names=("t",) if joining else None,
            owned=None if joining else {TOPIC_ID: frozenset(self.owned)},
        )
        self.coord.consumer_group_heartbeat(req, self._answer)

    def _answer(self, resp: Any) -> None:
        if resp.error != ErrorCode.NONE:
            self.member_id, self.epoch, self.owned = "", 0, set()
            return
        self.member_id, self.epoch = resp.member_id, resp.member_epoch
        if resp.assignment is not None:
            self.owned = set(resp.assignment.get(TOPIC_ID, frozenset()))

    def leave(self) -> None:
        req = ConsumerHeartbeatRequest("cg", self.member_id, -1)
        self.coord.consumer_group_heartbeat(req, lambda r: None)


def run(kind: str, seed: int) -> None:
    rng = random.Random(seed)
    clock = ManualClock()
    coord = new_coordinator(clock)
    make = ClassicClient if kind == "classic" else ConsumerClient
    live: list[Any] = [make(coord, clock)]
    for step in range(1200):
        clock.advance(STEP_MS)
        coord.tick()
        churn = step < 700
        if churn and rng.random() < 0.02 and len(live) < 5:
            live.append(make(coord, clock))
        if churn and rng.random() < 0.01 and len(live) > 1:
            live.pop(rng.randrange(len(live))).leave()
        if churn and rng.random() < 0.01 and len(live) > 1:
            live.pop(rng.randrange(len(live)))  # crashed: no leave, no heartbeats
        for c in live:
            c.step()
        check_safety(kind, live)
    owned = [c.owned for c in live]
    assert all(owned), f"seed {seed}: a live member has nothing: {owned}"
    assert sorted(p for o in owned for p in o) == list(range(PARTITIONS)), owned


def check_safety(kind: str, live: list[Any]) -> None:
    if kind == "classic":
        by_gen: dict[int, list[set[int]]] = {}
        for c in live:
            if c.phase == "stable":
                by_gen.setdefault(c.generation, []).append(c.owned)
        groups = by_gen.values()
    else:
        groups = [[c.owned for c in live]]
    for sets in groups:
        flat = [p for s in sets for p in s]
        assert len(flat) == len(set(flat)), f"a partition owned twice: {sets}"


@pytest.mark.parametrize("seed", range(12))
def test_classic_group_converges_and_never_double_assigns(seed: int) -> None:
    run("classic", seed)


@pytest.mark.parametrize("seed", range(12))
def test_consumer_group_converges_and_never_double_owns(seed: int) -> None:
    run("consumer", seed)
