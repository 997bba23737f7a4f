"""Classic group state machine on a virtual clock: joins, rebalances, timeouts, fencing."""

from __future__ import annotations

from group_harness import Harness, stable_pair

from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import LeavingMember


def test_first_member_handshake_then_leads_generation_one() -> None:
    h = Harness()
    first = h.join().value
    assert first.error == ErrorCode.MEMBER_ID_REQUIRED
    assert first.member_id.startswith("cli-")
    resp = h.join(member_id=first.member_id).value
    assert resp.error == ErrorCode.NONE
    assert resp.generation_id == 1
    assert resp.leader == first.member_id == resp.member_id
    assert [m.member_id for m in resp.members] == [first.member_id]
    assert resp.members[0].metadata == b"meta"
    assert resp.protocol_name == "range"
    sync = h.sync(first.member_id, 1, {first.member_id: b"assignment"}).value
    assert (sync.error, sync.assignment) == (ErrorCode.NONE, b"assignment")
    assert h.coord.describe_group("g").state == "Stable"


def test_old_join_version_gets_member_id_without_handshake() -> None:
    h = Harness()
    resp = h.join(version=3).value
    assert resp.error == ErrorCode.NONE
    assert resp.generation_id == 1


def test_second_member_triggers_rebalance_and_both_get_assignments() -> None:
    h = Harness()
    leader, follower, gen = stable_pair(h)
    assert gen == 2
    desc = h.coord.describe_group("g")
    assert desc.state == "Stable"
    assert {m.member_id: m.assignment for m in desc.members} == {leader: b"L", follower: b"F"}
    assert h.heartbeat(leader, gen) == ErrorCode.NONE
    assert h.heartbeat(follower, gen) == ErrorCode.NONE


def test_follower_sync_waits_for_leader() -> None:
    h = Harness()
    a, _ja = h.join_new()
    h.sync(a, 1, {a: b"x"})
    b, jb = h.join_new()
    ja2 = h.join(member_id=a)
    gen, leader = ja2.value.generation_id, ja2.value.leader
    follower = b if leader == a else a
    assert [m.member_id for m in (ja2 if leader == a else jb).value.members] != []
    assert (jb if leader == a else ja2).value.members == ()
    sf = h.sync(follower, gen)
    assert not sf.done
    assert h.heartbeat(follower, gen) == ErrorCode.NONE  # CompletingRebalance heartbeats are fine
    h.sync(leader, gen, {follower: b"F", leader: b"L"})
    assert sf.value.assignment == b"F"


def test_session_timeout_removes_silent_member_and_survivor_takes_over() -> None:
    h = Harness()
    leader, follower, gen = stable_pair(h)
    for _ in range(3):
        h.advance(3_000)
        assert h.heartbeat(leader, gen) == ErrorCode.NONE
    h.advance(1_000)  # follower silent for 10 s = its session timeout
    assert h.heartbeat(leader, gen) == ErrorCode.REBALANCE_IN_PROGRESS
    rejoin = h.join(member_id=leader).value
    assert rejoin.generation_id == gen + 1
    assert [m.member_id for m in rejoin.members] == [leader]
    assert h.heartbeat(follower, gen) == ErrorCode.UNKNOWN_MEMBER_ID


def test_member_not_rejoining_within_rebalance_timeout_is_dropped() -> None:
    h = Harness()
    leader, follower, gen = stable_pair(h)
    h.leave(LeavingMember("nobody"))
    # A third member forces a rebalance; only the leader rejoins.
    c, _jc = h.join_new()
    jl = h.join(member_id=leader)
    assert not jl.done
    for _ in range(10):  # keep the follower's session alive but never rejoin
        h.advance(2_999)
        h.heartbeat(follower, gen)
    h.advance(1_000)  # 30 s rebalance timeout passed
    assert jl.value.generation_id == gen + 1
    assert {m.member_id for m in jl.value.members} == {leader, c}
    assert h.heartbeat(follower, gen) == ErrorCode.UNKNOWN_MEMBER_ID


def test_generation_fencing_and_stale_member_ids() -> None:
    h = Harness()
    leader, _follower, gen = stable_pair(h)
    assert h.heartbeat(leader, gen - 1) == ErrorCode.ILLEGAL_GENERATION
    assert h.heartbeat("stale-member", gen) == ErrorCode.UNKNOWN_MEMBER_ID
    assert h.sync(leader, gen + 5).value.error == ErrorCode.ILLEGAL_GENERATION
    assert h.join(member_id="stale-member").value.error == ErrorCode.UNKNOWN_MEMBER_ID
    assert h.join("other-group", member_id="x").value.error == ErrorCode.UNKNOWN_MEMBER_ID
    assert h.commit(leader, gen - 1, {("t", 0): 5}) == {("t", 0): ErrorCode.ILLEGAL_GENERATION}
    assert h.commit("ghost", gen, {("t", 0): 5}) == {("t", 0): ErrorCode.UNKNOWN_MEMBER_ID}
    assert h.commit("m", 3, {("t", 0): 5}, group="nogroup") == {
        ("t", 0): ErrorCode.ILLEGAL_GENERATION
    }
    assert h.committed() == {}
    assert h.commit(leader, gen, {("t", 0): 5}) == {("t", 0): ErrorCode.NONE}
    assert h.committed() == {("t", 0): 5}


def test_commit_during_completing_rebalance_is_refused() -> None:
    h = Harness()
    a, ja = h.join_new()
    gen = ja.value.generation_id
    assert h.commit(a, gen, {("t", 0): 1}) == {("t", 0): ErrorCode.REBALANCE_IN_PROGRESS}


def test_standalone_commit_without_group_management() -> None:
    h = Harness()
    assert h.commit("", -1, {("t", 0): 7, ("t", 1): 9}, group="simple") == {
        ("t", 0): ErrorCode.NONE,
        ("t", 1): ErrorCode.NONE,
    }
    assert h.committed("simple") == {("t", 0): 7, ("t", 1): 9}
    assert h.coord.describe_group("simple").state == "Empty"


def test_leave_group_batched_and_fencing() -> None:
    h = Harness()
    a, _ja = h.join_new(instance=None)
    h.sync(a, 1, {a: b"x"})
    s = h.join(instance="static-1")  # static members skip the handshake; a rebalance starts
    assert not s.done
    errors = h.leave(
        LeavingMember(a),
        LeavingMember("wrong-id", "static-1"),
        LeavingMember("ghost"),
    )
    assert errors == [
        ErrorCode.NONE,
        ErrorCode.FENCED_INSTANCE_ID,
        ErrorCode.UNKNOWN_MEMBER_ID,
    ]


def test_protocol_selection_by_vote_and_inconsistent_protocols() -> None:
    h = Harness(group_initial_rebalance_delay_ms=100)
    j1 = h.join(version=3, protocols=(("roundrobin", b"1"), ("range", b"1")))
    j2 = h.join(version=3, protocols=(("range", b"2"), ("roundrobin", b"2")))
    j3 = h.join(version=3, protocols=(("range", b"3"),))
    bad = h.join(version=3, protocols=(("sticky", b"x"),)).value
    assert bad.error == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    other = h.join(version=3, protocol_type="connect").value
    assert other.error == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    h.advance(100)  # members joined during the initial delay: it is extended once
    assert not j1.done
    h.advance(100)
    assert {j.value.protocol_name for j in (j1, j2, j3)} == {"range"}
    leader = next(j.value for j in (j1, j2, j3) if j.value.members)
    assert sorted(m.metadata for m in leader.members) == [b"1", b"2", b"3"]


def test_invalid_session_timeout_and_group_id() -> None:
    h = Harness()
    assert h.join(session=10).value.error == ErrorCode.INVALID_SESSION_TIMEOUT
    assert h.join(group="").value.error == ErrorCode.INVALID_GROUP_ID


def test_initial_rebalance_delay_extends_while_members_join() -> None:
    h = Harness(group_initial_rebalance_delay_ms=3_000)
    a = h.join(version=3, rebalance=10_000)
    h.advance(2_000)
    b = h.join(version=3, rebalance=10_000)
    h.advance(1_000)  # t=3000: a new member arrived, wait another 3 s
    assert not a.done and not b.done
    h.advance(2_999)
    assert not a.done
    h.advance(1)  # t=6000: nobody new since 3000
    assert a.value.generation_id == b.value.generation_id == 1
    assert len([j for j in (a, b) if j.value.members]) == 1


def test_initial_rebalance_delay_is_capped_by_rebalance_timeout() -> None:
    h = Harness(group_initial_rebalance_delay_ms=3_000)
    boxes = [h.join(version=3, rebalance=10_000)]
    for _ in range(10):
        h.advance(1_000)
        if boxes[0].done:
            break
        boxes.append(h.join(version=3, rebalance=10_000))
    # Delays 3000 + 3000 + 3000 + the remaining 1000: complete at exactly t=10000.
    assert h.clock.now_ms() - 1_700_000_000_000 == 10_000
    assert boxes[0].value.generation_id == 1
    leader = next(b.value for b in boxes if b.done and b.value.members)
    assert len(leader.members) == 10


def test_zero_initial_delay_completes_immediately() -> None:
    h = Harness(group_initial_rebalance_delay_ms=0)
    a = h.join(version=3)
    assert a.value.generation_id == 1


def test_malformed_assignment_bytes_do_not_break_other_members() -> None:
    h = Harness()
    a, _ja = h.join_new()
    h.sync(a, 1, {a: b"x"})
    b, _jb = h.join_new()
    ja2 = h.join(member_id=a)
    gen = ja2.value.generation_id
    leader = ja2.value.leader
    other = b if leader == a else a
    so = h.sync(other, gen)
    garbage = b"\xff\xff\xff\xff\x00"
    sl = h.sync(leader, gen, {leader: b"\x00\x01good", other: garbage, "not-a-member": b"zz"})
    assert sl.value.error == ErrorCode.NONE and sl.value.assignment == b"\x00\x01good"
    assert so.value.error == ErrorCode.NONE and so.value.assignment == garbage
    assert h.heartbeat(leader, gen) == ErrorCode.NONE
    assert h.heartbeat(other, gen) == ErrorCode.NONE


def test_leader_omitting_a_member_gives_it_empty_assignment() -> None:
    h = Harness()
    leader, follower, _gen = stable_pair(h)
    h.join(member_id=leader)
    j = h.join(member_id=follower)
    gen2 = j.value.generation_id
    sl = h.sync(leader, gen2, {leader: b"all"})
    sf = h.sync(follower, gen2)
    assert sl.value.assignment == b"all"
    assert sf.value.error == ErrorCode.NONE and sf.value.assignment == b""


def test_member_that_never_syncs_is_removed_after_rebalance_timeout() -> None:
    h = Harness()
    leader, follower, _gen = stable_pair(h)
    jl = h.join(member_id=leader)
    jf = h.join(member_id=follower)
    gen2 = jl.value.generation_id
    assert jf.value.generation_id == gen2
    h.sync(leader, gen2, {leader: b"L", follower: b"F"})
    for _ in range(11):
        h.advance(3_000)
        h.heartbeat(leader, gen2)
        h.heartbeat(follower, gen2)
    assert h.coord.describe_group("g").state == "PreparingRebalance"
    assert h.heartbeat(follower, gen2) == ErrorCode.UNKNOWN_MEMBER_ID


def test_sync_store_failure_reports_error_and_rebalances() -> None:
    h = Harness()
    a, _ja = h.join_new()
    h.partition.fail_with = ErrorCode.NOT_ENOUGH_REPLICAS
    s = h.sync(a, 1, {a: b"x"}).value
    assert s.error == ErrorCode.COORDINATOR_NOT_AVAILABLE
    assert h.coord.describe_group("g").state == "PreparingRebalance"
    h.partition.fail_with = None
    rejoin = h.join(member_id=a).value
    assert rejoin.generation_id == 2
    assert h.sync(a, 2, {a: b"y"}).value.assignment == b"y"


def test_duplicate_pending_member_expires() -> None:
    h = Harness()
    a, _ja = h.join_new()
    h.sync(a, 1, {a: b"x"})
    pending = h.join().value  # gets an id, never comes back
    assert pending.error == ErrorCode.MEMBER_ID_REQUIRED
    jl = h.join(member_id=a)
    assert not jl.done  # waits for the pending member
    h.advance(10_000)  # its session timeout
    assert jl.value.generation_id == 2
