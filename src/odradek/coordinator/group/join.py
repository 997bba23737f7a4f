"""JoinGroup: KIP-394 member ids, static membership (KIP-345), protocol checks, rebalances."""

from __future__ import annotations

import uuid

from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import (
    UNKNOWN_MEMBER,
    JoinCallback,
    JoinGroupRequest,
    JoinGroupResponse,
    SyncGroupResponse,
)
from odradek.coordinator.group.classic import ClassicGroup, ClassicMember, GroupState
from odradek.coordinator.group.rebalance import (
    check_join,
    maybe_prepare_rebalance,
    prepare_rebalance,
    respond_join,
    respond_sync,
    schedule_heartbeat,
    store_group,
)
from odradek.coordinator.group.state import GroupShardState
from odradek.coordinator.runtime import CoordinatorResult

S = GroupState


def _fail(respond: JoinCallback, error: ErrorCode, member_id: str = "") -> CoordinatorResult:
    return CoordinatorResult().then(
        lambda _e: respond(JoinGroupResponse(error, member_id=member_id))
    )


def join_group(
    st: GroupShardState, req: JoinGroupRequest, now: int, respond: JoinCallback
) -> CoordinatorResult:
    cfg = st.config
    if not req.group_id:
        return _fail(respond, ErrorCode.INVALID_GROUP_ID)
    if (
        not cfg.group_min_session_timeout_ms
        <= req.session_timeout_ms
        <= (cfg.group_max_session_timeout_ms)
    ):
        return _fail(respond, ErrorCode.INVALID_SESSION_TIMEOUT)
    existing = st.groups.get(req.group_id)
    if existing is not None and not isinstance(existing, ClassicGroup):
        if existing.members:
            return _fail(respond, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
        del st.groups[req.group_id]  # an empty consumer group may turn classic
        existing = st.groups[req.group_id] = ClassicGroup(req.group_id, offsets=existing.offsets)
    if existing is None:
        if req.member_id != UNKNOWN_MEMBER:
            return _fail(respond, ErrorCode.UNKNOWN_MEMBER_ID)
        existing = st.groups[req.group_id] = ClassicGroup(req.group_id)
    g = existing
    if g.is_(S.DEAD):
        return _fail(respond, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if not g.supports(req.protocol_type, req.protocols):
        return _fail(respond, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    if req.member_id == UNKNOWN_MEMBER:
        return _join_unknown(st, g, req, now, respond)
    return _join_known(st, g, req, now, respond)


def _new_member(req: JoinGroupRequest, member_id: str, respond: JoinCallback) -> ClassicMember:
    return ClassicMember(
        member_id,
        req.group_instance_id,
        req.client_id,
        req.client_host,
        req.session_timeout_ms,
        req.rebalance_timeout_ms,
        req.protocol_type,
        req.protocols,
        join_callback=respond,
        is_new=True,
    )


def _join_unknown(
    st: GroupShardState, g: ClassicGroup, req: JoinGroupRequest, now: int, respond: JoinCallback
) -> CoordinatorResult:
    prefix = req.group_instance_id if req.group_instance_id is not None else req.client_id
    member_id = f"{prefix}-{uuid.uuid4()}"
    if req.group_instance_id is not None and req.group_instance_id in g.static_members:
        return _replace_static(st, g, req, member_id, now, respond)
    if len(g.members) + len(g.pending_members) >= st.config.group_max_size:
        return _fail(respond, ErrorCode.GROUP_MAX_SIZE_REACHED)
    if req.group_instance_id is None and req.version >= 4:
        g.pending_members.add(member_id)
        st.timers.schedule(("hb", g.group_id, member_id), now + req.session_timeout_ms)
        return _fail(respond, ErrorCode.MEMBER_ID_REQUIRED, member_id)
    return _add_member(st, g, _new_member(req, member_id, respond), now)


def _add_member(
    st: GroupShardState, g: ClassicGroup, m: ClassicMember, now: int
) -> CoordinatorResult:
    g.add(m)
    if g.is_(S.PREPARING_REBALANCE) and g.generation == 0:
        g.new_member_added = True
    schedule_heartbeat(st, g, m, now)
    res = maybe_prepare_rebalance(st, g, now)
    return res.extend(check_join(st, g, now))


def _update_member(
    st: GroupShardState,
    g: ClassicGroup,
    m: ClassicMember,
    req: JoinGroupRequest,
    now: int,
    respond: JoinCallback,
) -> CoordinatorResult:
    res = CoordinatorResult()
    if m.join_callback is not None:  # a duplicate join replaces the older request
        respond_join(
            res, m, JoinGroupResponse(ErrorCode.REBALANCE_IN_PROGRESS, member_id=m.member_id)
        )
    m.protocols = req.protocols
    m.rebalance_timeout = req.rebalance_timeout_ms
    m.session_timeout = req.session_timeout_ms
    m.client_id, m.client_host = req.client_id, req.client_host
    m.join_callback = respond
    res.extend(maybe_prepare_rebalance(st, g, now))
    return res.extend(check_join(st, g, now))


def _current_generation(g: ClassicGroup, m: ClassicMember, skip: bool = False) -> JoinGroupResponse:
    is_leader = m.member_id == g.leader
    return JoinGroupResponse(
        ErrorCode.NONE,
        g.generation,
        g.protocol_type,
        g.protocol,
        g.leader or "",
        m.member_id,
        g.join_members() if is_leader else (),
        skip_assignment=skip and is_leader,
    )


def _join_known(
    st: GroupShardState, g: ClassicGroup, req: JoinGroupRequest, now: int, respond: JoinCallback
) -> CoordinatorResult:
    mid = req.member_id
    if g.is_static_fenced(req.group_instance_id, mid):
        return _fail(respond, ErrorCode.FENCED_INSTANCE_ID, mid)
    if mid in g.pending_members:
        g.pending_members.discard(mid)
        return _add_member(st, g, _new_member(req, mid, respond), now)
    m = g.members.get(mid)
    if m is None or g.is_(S.EMPTY):
        return _fail(respond, ErrorCode.UNKNOWN_MEMBER_ID, mid)
    if g.is_(S.PREPARING_REBALANCE):
        return _update_member(st, g, m, req, now, respond)
    unchanged = m.matches(req.protocols)
    if g.is_(S.COMPLETING_REBALANCE) and unchanged:
        resp = _current_generation(g, m)
        return CoordinatorResult().then(lambda _e: respond(resp))
    if g.is_(S.STABLE) and unchanged and mid != g.leader:
        schedule_heartbeat(st, g, m, now)
        resp = _current_generation(g, m)
        return CoordinatorResult().then(lambda _e: respond(resp))
    return _update_member(st, g, m, req, now, respond)


def _replace_static(
    st: GroupShardState,
    g: ClassicGroup,
    req: JoinGroupRequest,
    new_id: str,
    now: int,
    respond: JoinCallback,
) -> CoordinatorResult:
    """A known ``group.instance.id`` rejoined with no member id: it takes over its old identity."""
    assert req.group_instance_id is not None
    old_id = g.static_members[req.group_instance_id]
    m = g.members[old_id]
    res = CoordinatorResult()
    respond_join(res, m, JoinGroupResponse(ErrorCode.FENCED_INSTANCE_ID, member_id=old_id))
    respond_sync(res, m, SyncGroupResponse(ErrorCode.FENCED_INSTANCE_ID))
    old = (m.protocols, m.rebalance_timeout, m.session_timeout, m.client_id, m.client_host)
    _rekey(st, g, old_id, new_id)
    m.protocols, m.rebalance_timeout = req.protocols, req.rebalance_timeout_ms
    m.session_timeout, m.client_id, m.client_host = (
        req.session_timeout_ms,
        req.client_id,
        req.client_host,
    )
    schedule_heartbeat(st, g, m, now)
    if g.is_(S.COMPLETING_REBALANCE):
        m.join_callback = respond
        return res.extend(prepare_rebalance(st, g, now))
    if g.is_(S.PREPARING_REBALANCE):
        m.join_callback = respond
        return res.extend(check_join(st, g, now))
    if g.protocol != g.select_protocol():
        m.join_callback = respond
        return res.extend(maybe_prepare_rebalance(st, g, now))
    # Stable and the selected protocol holds: persist the new member id, no rebalance.
    res.records.append(store_group(g, now))

    def done(error: ErrorCode) -> None:
        if error != ErrorCode.NONE:
            _rekey(st, g, new_id, old_id)
            m.protocols, m.rebalance_timeout, m.session_timeout, m.client_id, m.client_host = old
            respond(JoinGroupResponse(error, member_id=UNKNOWN_MEMBER))
        else:
            respond(_current_generation(g, m, skip=True))

    return res.then(done)


def _rekey(st: GroupShardState, g: ClassicGroup, old_id: str, new_id: str) -> None:
    m = g.members.pop(old_id)
    m.member_id = new_id
    g.members[new_id] = m
    if m.group_instance_id is not None:
        g.static_members[m.group_instance_id] = new_id
    if g.leader == old_id:
        g.leader = new_id
    if old_id in g.pending_sync:
        g.pending_sync.discard(old_id)
        g.pending_sync.add(new_id)
    st.timers.cancel(("hb", g.group_id, old_id))
