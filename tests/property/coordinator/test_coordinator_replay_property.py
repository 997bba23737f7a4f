"""Random operation sequences on the group coordinator: replaying ``__consumer_offsets`` into a
fresh coordinator gives the live durable state, and every Stable generation's assignment is what
the leader chose, handed to its members."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, target
from hypothesis import strategies as st

from odradek.common.clock import ManualClock
from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import (
    JoinGroupRequest,
    LeavingMember,
    OffsetCommitRequest,
    SyncGroupRequest,
    TopicPartitionOffset,
)
from odradek.coordinator.group.classic import ClassicGroup, GroupState
from odradek.coordinator.group.config import GroupConfig
from odradek.coordinator.group.service import GroupCoordinator
from odradek.coordinator.runtime import InMemoryPartition

CONFIG = GroupConfig(
    offsets_topic_num_partitions=1,
    group_initial_rebalance_delay_ms=0,
    group_min_session_timeout_ms=1000,
    offsets_retention_ms=50_000,
    offsets_retention_check_interval_ms=5_000,
)
GROUPS = ["g1", "g2"]
CLIENTS = ["c0", "c1", "c2"]
STATS = {"runs": 0, "delivered": 0}

op = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
    st.tuples(st.just("sync"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
    st.tuples(st.just("sync"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
    st.tuples(st.just("static"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
    st.tuples(st.just("sync"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
    st.tuples(st.just("heartbeat"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
    st.tuples(st.just("leave"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
    st.tuples(st.just("commit"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
    st.tuples(st.just("advance"), st.sampled_from([500, 3_000, 11_000, 40_000]), st.just("")),
    st.tuples(st.just("join"), st.sampled_from(GROUPS), st.sampled_from(CLIENTS)),
)


class World:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.part = InMemoryPartition()
        self.coord = GroupCoordinator(CONFIG, self.clock)
        self.coord.load(0, self.part, self.part)
        self.ids: dict[tuple[str, str], str] = {}  # (group, client) -> member id
        self.gens: dict[tuple[str, str], int] = {}
        self.delivered: dict[tuple[str, str, int], bytes] = {}  # (group, member, gen) -> bytes
        self.chosen: dict[tuple[str, int], dict[str, bytes]] = {}  # leader's choice
        self.leaders: dict[tuple[str, int], str] = {}

    def on_join(self, group: str, client: str) -> Any:
        def cb(resp: Any) -> None:
            if resp.error in (ErrorCode.NONE, ErrorCode.MEMBER_ID_REQUIRED):
                self.ids[(group, client)] = resp.member_id
            if resp.error == ErrorCode.NONE:
                self.gens[(group, client)] = resp.generation_id
                self.leaders[(group, resp.generation_id)] = resp.leader

        return cb

    def step(self, kind: str, a: Any, client: str) -> None:
        if kind == "advance":
            self.clock.advance(a)
            self.coord.tick()
            return
        group = a
        mid = self.ids.get((group, client), "")
        gen = self.gens.get((group, client), -1)
        if kind in ("join", "static"):
            inst = f"inst-{client}" if kind == "static" else None
            req = JoinGroupRequest(
                group,
                mid,
                10_000,
                20_000,
                "consumer",
                (("range", client.encode()),),
                inst,
                client_id=client,
            )
            self.coord.join_group(req, self.on_join(group, client))
            new_id = self.ids.get((group, client), "")
            if not mid and new_id and inst is None:  # KIP-394: rejoin with the given id
                req = JoinGroupRequest(
                    group,
                    new_id,
                    10_000,
                    20_000,
                    "consumer",
                    (("range", client.encode()),),
                    None,
                    client_id=client,
                )
                self.coord.join_group(req, self.on_join(group, client))
        elif kind == "sync":
            assignment = {m: f"{m}@{gen}".encode() for m in self.ids.values()}
            if self.leaders.get((group, gen)) == mid:
                self.chosen.setdefault((group, gen), assignment)

            def got(resp: Any, key: tuple[str, str, int] = (group, mid, gen)) -> None:
                if resp.error == ErrorCode.NONE:
                    self.delivered[key] = resp.assignment

            self.coord.sync_group(SyncGroupRequest(group, gen, mid, tuple(assignment.items())), got)
        elif kind == "heartbeat":
            self.coord.heartbeat(group, mid, gen, None, lambda e: None)
        elif kind == "leave":
            self.coord.leave_group(group, [LeavingMember(mid)], lambda t, e: None)
        elif kind == "commit":
            offs = (TopicPartitionOffset("t", len(client), self.clock.now_ms() % 1000),)
            self.coord.commit_offsets(OffsetCommitRequest(group, gen, mid, offs), lambda r: None)


def durable_view(coord: GroupCoordinator) -> dict[str, Any]:
    state = coord.state_of(0)
    assert state is not None
    view: dict[str, Any] = {}
    for gid, g in state.groups.items():
        assert isinstance(g, ClassicGroup)
        entry: dict[str, Any] = {"offsets": dict(g.offsets)}
        if g.state in (GroupState.STABLE, GroupState.EMPTY):
            entry["group"] = (
                g.state,
                g.generation,
                g.protocol,
                g.leader,
                {m.member_id: m.assignment for m in g.members.values()},
            )
        view[gid] = entry
    return view


@settings(max_examples=60, deadline=None)
@given(st.lists(op, min_size=1, max_size=60))
def test_replay_equals_live_and_assignments_are_the_leaders(ops: list[Any]) -> None:
    w = World()
    for kind, a, client in ops:
        w.step(kind, a, client)
    target(float(len(w.delivered)), label="assignments delivered")
    target(float(len(w.part.records)), label="records written")
    STATS["runs"] += 1
    STATS["delivered"] += len(w.delivered)
    reloaded = GroupCoordinator(CONFIG, w.clock)
    reloaded.load(0, w.part, w.part)
    live = durable_view(w.coord)
    loaded = durable_view(reloaded)
    for gid, entry in loaded.items():
        assert entry["offsets"] == live[gid]["offsets"]
        if "group" in live[gid]:
            assert entry.get("group") == live[gid]["group"]
    for gid, entry in live.items():
        if entry["offsets"] or ("group" in entry and entry["group"][0] is GroupState.STABLE):
            assert gid in loaded
    # What a member received in SyncGroup is exactly the leader's choice for that generation.
    for (group, member, gen), got in w.delivered.items():
        leader_choice = w.chosen.get((group, gen))
        assert leader_choice is not None
        if member.startswith("inst-"):  # a restarted static member keeps its old identity's
            assert got in (b"", *leader_choice.values())
        else:
            assert got == leader_choice.get(member, b"")


def test_zz_the_random_runs_reached_stable_generations() -> None:
    """Guard against a vacuous property: the runs above handed out assignments."""
    if STATS["runs"]:
        assert STATS["delivered"] >= STATS["runs"] // 4, STATS
