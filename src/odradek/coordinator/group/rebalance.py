"""Classic rebalance mechanics shared by the group APIs and the deadlines.

Kafka's ``GroupCoordinator`` behaviour: a rebalance moves the group to PreparingRebalance and
waits (the *join* deadline) until every member has rejoined or the rebalance timeout passes; an
empty group first waits ``group.initial.rebalance.delay.ms``, extended by the same delay while
new members keep arriving, capped at the rebalance timeout. Completing the join removes members
that did not rejoin, bumps the generation, selects the protocol, answers every JoinGroup (the
leader gets the member list) and waits for SyncGroup from every member (the *sync* deadline).
"""

from __future__ import annotations

from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import JoinGroupResponse, SyncGroupResponse
from odradek.coordinator.group.classic import ClassicGroup, ClassicMember, GroupState
from odradek.coordinator.group.records import GroupKey
from odradek.coordinator.group.state import GroupShardState
from odradek.coordinator.runtime import CoordinatorResult, Record

S = GroupState


def store_group(g: ClassicGroup, now: int, assignments: dict[str, bytes] | None = None) -> Record:
    return GroupKey(g.group_id).encode(), g.snapshot(now, assignments).encode()


def schedule_heartbeat(st: GroupShardState, g: ClassicGroup, m: ClassicMember, now: int) -> None:
    timeout = st.config.new_member_join_timeout_ms if m.is_new else m.session_timeout
    st.timers.schedule(("hb", g.group_id, m.member_id), now + timeout)


def respond_join(res: CoordinatorResult, m: ClassicMember, resp: JoinGroupResponse) -> None:
    callback, m.join_callback = m.join_callback, None
    if callback is not None:
        res.then(lambda _e: callback(resp))


def respond_sync(res: CoordinatorResult, m: ClassicMember, resp: SyncGroupResponse) -> None:
    callback, m.sync_callback = m.sync_callback, None
    if callback is not None:
        res.then(lambda _e: callback(resp))


def reset_assignment_error(g: ClassicGroup, error: ErrorCode) -> CoordinatorResult:
    """Answer every member waiting in SyncGroup with ``error``; forget the assignments."""
    res = CoordinatorResult()
    for m in g.members.values():
        m.assignment = b""
        respond_sync(res, m, SyncGroupResponse(error))
    return res


def prepare_rebalance(st: GroupShardState, g: ClassicGroup, now: int) -> CoordinatorResult:
    res = CoordinatorResult()
    if g.is_(S.COMPLETING_REBALANCE):
        res = reset_assignment_error(g, ErrorCode.REBALANCE_IN_PROGRESS)
    delay = st.config.group_initial_rebalance_delay_ms
    timeout = g.max_rebalance_timeout()
    if g.is_(S.EMPTY) and delay > 0:
        g.initial_join = True
        g.new_member_added = False
        g.join_remaining_ms = max(timeout - delay, 0)
        st.timers.schedule(("join", g.group_id), now + delay)
    else:
        g.initial_join = False
        st.timers.schedule(("join", g.group_id), now + timeout)
    g.pending_sync.clear()
    st.timers.cancel(("sync", g.group_id))
    g.transition(S.PREPARING_REBALANCE, now)
    return res.extend(check_join(st, g, now))


def maybe_prepare_rebalance(st: GroupShardState, g: ClassicGroup, now: int) -> CoordinatorResult:
    if g.is_(S.STABLE, S.COMPLETING_REBALANCE, S.EMPTY):
        return prepare_rebalance(st, g, now)
    return CoordinatorResult()


def check_join(st: GroupShardState, g: ClassicGroup, now: int) -> CoordinatorResult:
    """Complete the join now if nobody else is awaited (never during the initial delay)."""
    if g.is_(S.PREPARING_REBALANCE) and not g.initial_join and g.has_all_members_joined():
        st.timers.cancel(("join", g.group_id))
        return complete_join(st, g, now)
    return CoordinatorResult()


def on_join_deadline(st: GroupShardState, g: ClassicGroup, now: int) -> CoordinatorResult:
    if not g.is_(S.PREPARING_REBALANCE):
        return CoordinatorResult()
    if g.initial_join and g.new_member_added and g.join_remaining_ms > 0:
        delay = min(st.config.group_initial_rebalance_delay_ms, g.join_remaining_ms)
        g.join_remaining_ms = max(g.join_remaining_ms - delay, 0)
        g.new_member_added = False
        st.timers.schedule(("join", g.group_id), now + delay)
        return CoordinatorResult()
    g.initial_join = False
    return complete_join(st, g, now)


def complete_join(st: GroupShardState, g: ClassicGroup, now: int) -> CoordinatorResult:
    res = CoordinatorResult()
    for m in [m for m in g.members.values() if m.join_callback is None]:
        res.extend(remove_member(st, g, m))
    g.generation += 1
    if not g.members:
        g.protocol = None
        g.transition(S.EMPTY, now)
        res.records.append(store_group(g, now))
        return res
    g.protocol = g.select_protocol()
    if g.leader not in g.members:
        g.leader = next(iter(g.members))
    g.transition(S.COMPLETING_REBALANCE, now)
    everyone = g.join_members()
    for m in g.members.values():
        m.is_new = False
        resp = JoinGroupResponse(
            ErrorCode.NONE,
            g.generation,
            g.protocol_type,
            g.protocol,
            g.leader or "",
            m.member_id,
            everyone if m.member_id == g.leader else (),
        )
        respond_join(res, m, resp)
        schedule_heartbeat(st, g, m, now)
    g.pending_sync = set(g.members)
    st.timers.schedule(("sync", g.group_id), now + g.max_rebalance_timeout())
    return res


def remove_member(st: GroupShardState, g: ClassicGroup, m: ClassicMember) -> CoordinatorResult:
    """Drop a member, answering any request it still has waiting."""
    res = CoordinatorResult()
    respond_join(res, m, JoinGroupResponse(ErrorCode.UNKNOWN_MEMBER_ID, member_id=m.member_id))
    respond_sync(res, m, SyncGroupResponse(ErrorCode.UNKNOWN_MEMBER_ID))
    g.remove(m.member_id)
    st.timers.cancel(("hb", g.group_id, m.member_id))
    return res


def remove_member_and_update(
    st: GroupShardState, g: ClassicGroup, m: ClassicMember, now: int
) -> CoordinatorResult:
    res = remove_member(st, g, m)
    if g.is_(S.STABLE, S.COMPLETING_REBALANCE):
        res.extend(maybe_prepare_rebalance(st, g, now))
    elif g.is_(S.PREPARING_REBALANCE):
        res.extend(check_join(st, g, now))
    return res


def remove_pending_member(
    st: GroupShardState, g: ClassicGroup, member_id: str, now: int
) -> CoordinatorResult:
    g.pending_members.discard(member_id)
    st.timers.cancel(("hb", g.group_id, member_id))
    return check_join(st, g, now)


def on_heartbeat_deadline(
    st: GroupShardState, g: ClassicGroup, member_id: str, now: int
) -> CoordinatorResult:
    if member_id in g.pending_members:
        return remove_pending_member(st, g, member_id, now)
    m = g.members.get(member_id)
    if m is None:
        return CoordinatorResult()
    if m.join_callback is not None and not m.is_new:
        # Waiting in JoinGroup: the rebalance timeout, not the session, decides.
        schedule_heartbeat(st, g, m, now)
        return CoordinatorResult()
    return remove_member_and_update(st, g, m, now)


def on_sync_deadline(st: GroupShardState, g: ClassicGroup, now: int) -> CoordinatorResult:
    """Members that got a JoinGroup answer but never sent SyncGroup leave the group."""
    res = CoordinatorResult()
    if not g.is_(S.COMPLETING_REBALANCE, S.STABLE) or not g.pending_sync:
        return res
    for member_id in list(g.pending_sync):
        m = g.members.get(member_id)
        if m is not None:
            res.extend(remove_member(st, g, m))
    g.pending_sync.clear()
    return res.extend(maybe_prepare_rebalance(st, g, now))
