"""Static membership (KIP-345), load-by-replay equals live state, retention, deletion."""

from __future__ import annotations

from group_harness import Box, Harness, stable_pair, subscription

from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import LeavingMember, OffsetCommitRequest, TopicPartitionOffset
from odradek.coordinator.group.classic import ClassicGroup
from odradek.coordinator.group.service import GroupCoordinator


def _static_pair(h: Harness) -> tuple[str, str, int]:
    a = h.join(instance="i-a")
    assert a.value.error == ErrorCode.NONE
    a_id = a.value.member_id
    h.sync(a_id, 1, {a_id: b"A"}, instance="i-a")
    b = h.join(instance="i-b")
    ra = h.join(member_id=a_id, instance="i-a")
    gen = ra.value.generation_id
    b_id = b.value.member_id
    leader = ra.value.leader
    follower = b_id if leader == a_id else a_id
    h.sync(follower, gen)
    h.sync(leader, gen, {a_id: b"A", b_id: b"B"})
    return a_id, b_id, gen


def test_static_member_restart_within_session_timeout_keeps_generation() -> None:
    h = Harness()
    a_id, b_id, gen = _static_pair(h)
    h.advance(5_000)
    # b restarts: it rejoins with no member id but the same group.instance.id.
    rejoin = h.join(instance="i-b").value
    assert rejoin.error == ErrorCode.NONE
    assert rejoin.generation_id == gen
    assert rejoin.member_id != b_id and rejoin.member_id.startswith("i-b-")
    sync = h.sync(rejoin.member_id, gen, instance="i-b").value
    assert (sync.error, sync.assignment) == (ErrorCode.NONE, b"B")
    assert h.coord.describe_group("g").state == "Stable"
    assert h.heartbeat(a_id, gen, instance="i-a") == ErrorCode.NONE
    # The old incarnation is fenced.
    assert h.heartbeat(b_id, gen, instance="i-b") == ErrorCode.FENCED_INSTANCE_ID
    # ... and the new member id survives a reload.
    coord = h.reload()
    desc = coord.describe_group("g")
    assert {m.member_id for m in desc.members} == {a_id, rejoin.member_id}


def test_static_member_beyond_session_timeout_is_removed() -> None:
    h = Harness()
    a_id, _b_id, gen = _static_pair(h)
    for _ in range(4):
        h.advance(3_000)
        h.heartbeat(a_id, gen, instance="i-a")
    assert h.heartbeat(a_id, gen, instance="i-a") == ErrorCode.REBALANCE_IN_PROGRESS
    r = h.join(member_id=a_id, instance="i-a").value
    assert [m.member_id for m in r.members] == [a_id]


def _snapshot(coord: GroupCoordinator) -> dict[str, object]:
    state = coord.state_of(0)
    assert state is not None
    out: dict[str, object] = {}
    for gid, g in state.groups.items():
        assert isinstance(g, ClassicGroup)
        out[gid] = (
            g.state,
            g.generation,
            g.protocol_type,
            g.protocol,
            g.leader,
            {
                m.member_id: (m.assignment, m.group_instance_id, m.session_timeout)
                for m in g.members.values()
            },
            dict(g.offsets),
        )
    return out


def test_load_by_replay_equals_live_state() -> None:
    h = Harness()
    leader, follower, gen = stable_pair(h)
    assert h.commit(leader, gen, {("t", 0): 10, ("t", 1): 20}) == {
        ("t", 0): ErrorCode.NONE,
        ("t", 1): ErrorCode.NONE,
    }
    h.commit(follower, gen, {("t", 1): 21})
    h.commit("", -1, {("u", 3): 3}, group="standalone")
    h.join(instance="s1", group="static")
    h.sync(h.coord.describe_group("static").members[0].member_id, 1, {}, group="static")
    live = _snapshot(h.coord)
    loaded = _snapshot(h.reload())
    assert loaded == live
    assert h.committed(coord=h.reload()) == {("t", 0): 10, ("t", 1): 21}


def test_reloaded_members_expire_without_heartbeats() -> None:
    h = Harness()
    leader, _follower, gen = stable_pair(h)
    coord = h.reload()
    h.coord = coord
    h.advance(5_000)
    assert h.heartbeat(leader, gen) == ErrorCode.NONE
    h.advance(5_000)  # the follower never heartbeated since the load
    assert h.heartbeat(leader, gen) == ErrorCode.REBALANCE_IN_PROGRESS


def test_offsets_expire_after_group_empty_for_retention() -> None:
    h = Harness(offsets_retention_ms=60_000, offsets_retention_check_interval_ms=1_000)
    a, _ja = h.join_new(protocols=(("range", subscription("t")),))
    h.sync(a, 1, {a: b""})
    h.commit(a, 1, {("t", 0): 5})
    for _ in range(10):
        h.advance(5_000)
        assert h.heartbeat(a, 1) == ErrorCode.NONE
    h.leave(LeavingMember(a))
    assert h.coord.describe_group("g").state == "Empty"
    h.advance(59_000)
    assert h.committed() == {("t", 0): 5}
    h.advance(2_000)
    assert h.committed() == {}
    assert h.coord.describe_group("g").state == "Dead"  # the group itself is gone
    assert h.reload().list_groups() == []


def test_standalone_offsets_expire_by_commit_time_and_explicit_retention() -> None:
    h = Harness(offsets_retention_ms=60_000, offsets_retention_check_interval_ms=1_000)
    h.commit("", -1, {("t", 0): 1}, group="s")
    h.commit("", -1, {("t", 1): 1}, group="s", retention=5_000)
    h.advance(6_000)
    assert h.committed("s") == {("t", 0): 1}
    h.advance(55_000)
    assert h.committed("s") == {}


def test_delete_groups_and_offsets() -> None:
    h = Harness()
    _leader, _follower, _gen = stable_pair(h)
    h.commit("", -1, {("t", 0): 1}, group="empty")
    assert h.coord.delete_group("g") == ErrorCode.NON_EMPTY_GROUP
    assert h.coord.delete_group("missing") == ErrorCode.GROUP_ID_NOT_FOUND
    assert h.coord.delete_group("empty") == ErrorCode.NONE
    assert h.committed("empty") == {}
    assert "empty" not in {g.group_id for g in h.reload().list_groups()}


def test_offset_delete_refuses_subscribed_topics() -> None:
    h = Harness()
    a, _ja = h.join_new(protocols=(("range", subscription("sub")),))
    h.sync(a, 1, {a: b""})
    h.commit(a, 1, {("sub", 0): 1, ("other", 0): 2})
    box = Box()
    h.coord.delete_offsets("g", [("sub", 0), ("other", 0)], lambda top, parts: box((top, parts)))
    top, parts = box.value
    assert top == ErrorCode.NONE
    assert parts == [
        ("sub", 0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC),
        ("other", 0, ErrorCode.NONE),
    ]
    assert h.committed() == {("sub", 0): 1}
    box2 = Box()
    h.coord.delete_offsets("nope", [("x", 0)], lambda top, parts: box2((top, parts)))
    assert box2.value[0] == ErrorCode.GROUP_ID_NOT_FOUND


def test_list_groups_with_state_filter() -> None:
    h = Harness()
    stable_pair(h)
    h.commit("", -1, {("t", 0): 1}, group="e")
    assert {g.group_id for g in h.coord.list_groups()} == {"g", "e"}
    assert [g.group_id for g in h.coord.list_groups(states={"Stable"})] == ["g"]
    assert [g.group_id for g in h.coord.list_groups(states={"empty"})] == ["e"]
    assert [g.protocol_type for g in h.coord.list_groups(states={"Stable"})] == ["consumer"]


def test_malformed_records_are_skipped_on_load() -> None:
    h = Harness()
    h.commit("", -1, {("t", 0): 4}, group="s")
    h.partition.records.append((len(h.partition.records), b"\x00\x63garbage", b"\x01"))
    h.partition.records.append((len(h.partition.records), b"\x00\x01\x00\x01g", b"\x00"))
    h.partition.records.append((len(h.partition.records), None, b"value without key"))
    coord = h.reload()
    assert h.committed("s", coord=coord) == {("t", 0): 4}


def test_transactional_offsets_pending_until_the_commit_marker() -> None:
    h = Harness()
    req = OffsetCommitRequest("tx", -1, "", (TopicPartitionOffset("t", 0, 12, -1, ""),))
    box = Box()
    h.coord.txn_commit_offsets(req, (77, 0), box)
    assert box.value == [("t", 0, ErrorCode.NONE)]
    fetched = h.coord.fetch_offsets("tx", [("t", 0)], require_stable=True)
    assert fetched[0].error == ErrorCode.UNSTABLE_OFFSET_COMMIT
    assert h.coord.fetch_offsets("tx", [("t", 0)])[0].offset == -1
    h.coord.on_marker(0, len(h.partition.records), 77, True)
    fetched = h.coord.fetch_offsets("tx", [("t", 0)], require_stable=True)
    assert (fetched[0].offset, fetched[0].error) == (12, ErrorCode.NONE)


def test_transactional_offsets_dropped_by_abort_and_older_than_a_plain_commit() -> None:
    h = Harness()
    req = OffsetCommitRequest("tx", -1, "", (TopicPartitionOffset("t", 0, 12, -1, ""),))
    h.coord.txn_commit_offsets(req, (77, 0), Box())
    h.coord.on_marker(0, len(h.partition.records), 77, False)
    assert h.coord.fetch_offsets("tx", [("t", 0)], require_stable=True)[0].offset == -1
    h.coord.txn_commit_offsets(req, (78, 0), Box())
    h.commit("", -1, {("t", 0): 20}, group="tx")  # a later plain commit
    h.coord.on_marker(0, len(h.partition.records), 78, True)
    assert h.coord.fetch_offsets("tx", [("t", 0)])[0].offset == 20
