"""KIP-848 consumer groups on a virtual clock: epochs, revocation before assignment, fencing."""

from __future__ import annotations

import uuid

from group_harness import Box

from odradek.common.clock import ManualClock
from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import ConsumerHeartbeatRequest, ConsumerHeartbeatResponse
from odradek.coordinator.group.assignors import range_assignor, uniform_assignor
from odradek.coordinator.group.config import GroupConfig
from odradek.coordinator.group.service import GroupCoordinator
from odradek.coordinator.runtime import InMemoryPartition

TOPIC_ID = uuid.UUID(int=0xABC)


class Topics:
    def __init__(self, topics: dict[str, tuple[uuid.UUID, int]]) -> None:
        self.topics = topics

    def topic_id(self, name: str) -> uuid.UUID | None:
        return self.topics[name][0] if name in self.topics else None

    def partition_count(self, name: str) -> int:
        return self.topics[name][1] if name in self.topics else 0

    def topic_names(self) -> list[str]:
        return list(self.topics)


class H:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.partition = InMemoryPartition()
        self.topics = Topics({"t": (TOPIC_ID, 6)})
        self.config = GroupConfig(
            offsets_topic_num_partitions=1, consumer_session_timeout_ms=10_000
        )
        self.coord = GroupCoordinator(self.config, self.clock, self.topics)
        self.coord.load(0, self.partition, self.partition)

    def hb(
        self, member_id: str, epoch: int, owned: set[int] | None = None, **kw: object
    ) -> ConsumerHeartbeatResponse:
        box = Box()
        req = ConsumerHeartbeatRequest(
            "cg",
            member_id,
            epoch,
            rebalance_timeout_ms=kw.pop("rebalance", 5_000),  # type: ignore[arg-type]
            subscribed_topic_names=("t",) if epoch == 0 else None,
            owned=None if owned is None else {TOPIC_ID: frozenset(owned)},
            **kw,  # type: ignore[arg-type]
        )
        self.coord.consumer_group_heartbeat(req, box)
        resp: ConsumerHeartbeatResponse = box.value
        return resp


def parts(resp: ConsumerHeartbeatResponse) -> set[int] | None:
    if resp.assignment is None:
        return None
    return set(resp.assignment.get(TOPIC_ID, frozenset()))


def test_join_rebalance_revocation_before_assignment() -> None:
    h = H()
    a = h.hb("", 0)
    assert a.error == ErrorCode.NONE and a.member_epoch == 1
    assert parts(a) == set(range(6))
    b = h.hb("", 0)
    assert b.member_epoch == 2
    assert parts(b) == set()  # its partitions are still owned by a
    a2 = h.hb(a.member_id or "", 1, owned=set(range(6)))
    assert a2.member_epoch == 1  # must revoke first: epoch unchanged
    keep = parts(a2)
    assert keep is not None and len(keep) == 3
    b2 = h.hb(b.member_id or "", 2, owned=set())
    assert parts(b2) is None or parts(b2) == set()
    a3 = h.hb(a.member_id or "", 1, owned=keep)  # revocation confirmed
    assert a3.member_epoch == 2
    b3 = h.hb(b.member_id or "", 2, owned=set())
    got = parts(b3)
    assert got == set(range(6)) - keep
    desc = h.coord.consumer_group_describe("cg")
    assert desc.state == "Stable" and desc.group_epoch == 2 and desc.assignment_epoch == 2


def test_session_timeout_fences_member_and_survivor_takes_all() -> None:
    h = H()
    a = h.hb("", 0)
    b = h.hb("", 0)
    a_id, b_id = a.member_id or "", b.member_id or ""
    keep = parts(h.hb(a_id, 1, owned=set(range(6)))) or set()
    h.hb(a_id, 1, owned=keep)
    other = set(range(6)) - keep
    h.hb(b_id, 2, owned=set())
    for _ in range(4):  # a keeps heartbeating, b goes silent
        h.clock.advance(3_000)
        h.coord.tick()
        r = h.hb(a_id, 2, owned=keep)
    assert r.member_epoch == 3
    assert parts(r) == set(range(6))
    assert h.hb(b_id, 2, owned=other).error == ErrorCode.UNKNOWN_MEMBER_ID


def test_fenced_epoch_and_unknown_member_and_leave() -> None:
    h = H()
    a = h.hb("", 0)
    a_id = a.member_id or ""
    assert h.hb(a_id, 7, owned=set()).error == ErrorCode.FENCED_MEMBER_EPOCH
    assert h.hb("ghost", 1).error == ErrorCode.UNKNOWN_MEMBER_ID
    assert h.hb("", 0, rebalance=-1).error == ErrorCode.INVALID_REQUEST
    assert h.hb("", 0, server_assignor="nope").error == ErrorCode.UNSUPPORTED_ASSIGNOR
    left = h.hb(a_id, -1)
    assert (left.error, left.member_epoch) == (ErrorCode.NONE, -1)
    assert h.coord.consumer_group_describe("cg").state == "Empty"


def test_consumer_group_reload_equals_live() -> None:
    h = H()
    a = h.hb("", 0)
    b = h.hb("", 0)
    h.hb(a.member_id or "", 1, owned=set(range(6)))
    live = h.coord.consumer_group_describe("cg")
    coord = GroupCoordinator(h.config, h.clock, h.topics)
    coord.load(0, h.partition, h.partition)
    assert coord.consumer_group_describe("cg") == live
    assert b.member_id in {m.member_id for m in live.members}


def test_range_assignor_contiguous_and_co_partitioned() -> None:
    t1, t2 = uuid.uuid4(), uuid.uuid4()
    subs = {"m1": ("x", "y"), "m2": ("x", "y"), "m3": ("x", "y")}
    out = range_assignor(subs, {"x": (t1, 7), "y": (t2, 7)}, {})
    assert out["m1"] == {t1: frozenset({0, 1, 2}), t2: frozenset({0, 1, 2})}
    assert out["m2"] == {t1: frozenset({3, 4}), t2: frozenset({3, 4})}
    assert out["m3"] == {t1: frozenset({5, 6}), t2: frozenset({5, 6})}


def test_uniform_assignor_balanced_and_sticky() -> None:
    t1 = uuid.uuid4()
    topics = {"x": (t1, 7)}
    first = uniform_assignor({"a": ("x",), "b": ("x",)}, topics, {})
    sizes = sorted(len(v.get(t1, ())) for v in first.values())
    assert sizes == [3, 4]
    second = uniform_assignor({"a": ("x",), "b": ("x",), "c": ("x",)}, topics, first)
    assert sorted(len(v.get(t1, ())) for v in second.values()) == [2, 2, 3]
    for m in ("a", "b"):
        assert second[m][t1] <= first[m][t1]  # nothing moved between a and b
    every = set().union(*(v[t1] for v in second.values()))
    assert every == set(range(7))


def test_static_member_leaves_and_rejoins_without_rebalance() -> None:
    h = H()
    a = h.hb("", 0, instance_id="ia")
    b = h.hb("", 0, instance_id="ib")
    a_id, b_id = a.member_id or "", b.member_id or ""
    keep = parts(h.hb(a_id, 1, owned=set(range(6)))) or set()
    h.hb(a_id, 1, owned=keep)
    got_b = parts(h.hb(b_id, 2, owned=set())) or set()
    before = h.coord.consumer_group_describe("cg")
    away = h.hb(b_id, -2, instance_id="ib")
    assert (away.error, away.member_epoch) == (ErrorCode.NONE, -2)
    back = h.hb("", 0, instance_id="ib")
    assert back.error == ErrorCode.NONE
    assert back.member_id != b_id
    assert back.member_epoch == 2
    assert parts(back) == got_b
    after = h.coord.consumer_group_describe("cg")
    assert after.group_epoch == before.group_epoch == 2
    assert h.hb(a_id, 2, owned=keep).assignment is None  # nothing changed for a


def test_static_instance_still_in_use_is_refused() -> None:
    h = H()
    h.hb("", 0, instance_id="ia")
    assert h.hb("", 0, instance_id="ia").error == ErrorCode.UNRELEASED_INSTANCE_ID


def test_static_member_away_beyond_session_is_removed() -> None:
    h = H()
    a = h.hb("", 0, instance_id="ia")
    b = h.hb("", 0)
    a_id, b_id = a.member_id or "", b.member_id or ""
    h.hb(a_id, -2, instance_id="ia")
    for _ in range(4):
        h.clock.advance(3_000)
        h.coord.tick()
        r = h.hb(b_id, 2, owned=set())
    assert r.member_epoch == 3 and parts(r) == set(range(6))


def test_reload_does_not_bump_epochs() -> None:
    h = H()
    a = h.hb("", 0)
    a_id = a.member_id or ""
    coord = GroupCoordinator(h.config, h.clock, h.topics)
    coord.load(0, h.partition, h.partition)
    h.coord = coord
    r = h.hb(a_id, 1, owned=set(range(6)))
    assert r.error == ErrorCode.NONE and r.member_epoch == 1
    assert coord.consumer_group_describe("cg").group_epoch == 1
    h.topics.topics["t"] = (TOPIC_ID, 8)  # partitions added: a new target epoch
    r2 = h.hb(a_id, 1, owned=set(range(6)))
    assert r2.member_epoch == 2 and parts(r2) == set(range(8))
