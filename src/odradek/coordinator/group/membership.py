"""SyncGroup, Heartbeat and LeaveGroup for classic groups."""

from __future__ import annotations

from collections.abc import Callable

from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import (
    UNKNOWN_MEMBER,
    LeavingMember,
    SyncCallback,
    SyncGroupRequest,
    SyncGroupResponse,
)
from odradek.coordinator.group.classic import ClassicGroup, GroupState
from odradek.coordinator.group.rebalance import (
    prepare_rebalance,
    remove_member_and_update,
    remove_pending_member,
    reset_assignment_error,
    respond_sync,
    schedule_heartbeat,
    store_group,
)
from odradek.coordinator.group.state import GroupShardState
from odradek.coordinator.runtime import CoordinatorResult

S = GroupState


def _sync_reply(respond: SyncCallback, error: ErrorCode) -> CoordinatorResult:
    return CoordinatorResult().then(lambda _e: respond(SyncGroupResponse(error)))


def sync_group(
    st: GroupShardState, req: SyncGroupRequest, now: int, respond: SyncCallback
) -> CoordinatorResult:
    g = st.classic(req.group_id)
    if g is None:
        code = ErrorCode.UNKNOWN_MEMBER_ID
        if req.group_id in st.groups:
            code = ErrorCode.INCONSISTENT_GROUP_PROTOCOL
        return _sync_reply(respond, code)
    if g.is_(S.DEAD):
        return _sync_reply(respond, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    m = g.members.get(req.member_id)
    if g.is_static_fenced(req.group_instance_id, req.member_id):
        return _sync_reply(respond, ErrorCode.FENCED_INSTANCE_ID)
    if m is None:
        return _sync_reply(respond, ErrorCode.UNKNOWN_MEMBER_ID)
    if req.generation_id != g.generation:
        return _sync_reply(respond, ErrorCode.ILLEGAL_GENERATION)
    if (req.protocol_type is not None and req.protocol_type != g.protocol_type) or (
        req.protocol_name is not None and req.protocol_name != g.protocol
    ):
        return _sync_reply(respond, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    g.pending_sync.discard(req.member_id)
    if not g.pending_sync:
        st.timers.cancel(("sync", g.group_id))
    if g.is_(S.EMPTY):
        return _sync_reply(respond, ErrorCode.UNKNOWN_MEMBER_ID)
    if g.is_(S.PREPARING_REBALANCE):
        return _sync_reply(respond, ErrorCode.REBALANCE_IN_PROGRESS)
    schedule_heartbeat(st, g, m, now)
    if g.is_(S.STABLE):
        resp = SyncGroupResponse(ErrorCode.NONE, m.assignment, g.protocol_type, g.protocol)
        return CoordinatorResult().then(lambda _e: respond(resp))
    # CompletingRebalance: wait for the leader's assignment.
    res = CoordinatorResult()
    if m.sync_callback is not None:
        respond_sync(res, m, SyncGroupResponse(ErrorCode.REBALANCE_IN_PROGRESS))
    m.sync_callback = respond
    if req.member_id == g.leader:
        res.extend(_store_assignment(st, g, dict(req.assignments), now))
    return res


def _store_assignment(
    st: GroupShardState, g: ClassicGroup, assignments: dict[str, bytes], now: int
) -> CoordinatorResult:
    """Persist the leader's assignment (members it left out get none), then hand it out."""
    chosen = {mid: bytes(assignments.get(mid, b"")) for mid in g.members}
    generation = g.generation
    res = CoordinatorResult([store_group(g, now, chosen)])

    def done(error: ErrorCode) -> None:
        if g.generation != generation or g.state is not S.STABLE:
            return
        for m in g.members.values():
            callback, m.sync_callback = m.sync_callback, None
            if callback is not None:
                callback(SyncGroupResponse(error, m.assignment, g.protocol_type, g.protocol))

    def failed(error: ErrorCode) -> None:
        if error == ErrorCode.NONE or g.generation != generation:
            return
        if g.is_(S.COMPLETING_REBALANCE):
            st.run_later(reset_assignment_error(g, error).extend(prepare_rebalance(st, g, now)))

    return res.then(done).then(failed)


def heartbeat(
    st: GroupShardState,
    group_id: str,
    member_id: str,
    generation: int,
    instance_id: str | None,
    now: int,
    respond: Callable[[ErrorCode], None],
) -> CoordinatorResult:
    error = _heartbeat(st, group_id, member_id, generation, instance_id, now)
    return CoordinatorResult().then(lambda _e: respond(error))


def _heartbeat(
    st: GroupShardState,
    group_id: str,
    member_id: str,
    generation: int,
    instance_id: str | None,
    now: int,
) -> ErrorCode:
    g = st.classic(group_id)
    if g is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if g.is_(S.DEAD):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if g.is_static_fenced(instance_id, member_id):
        return ErrorCode.FENCED_INSTANCE_ID
    m = g.members.get(member_id)
    if m is None or g.is_(S.EMPTY):
        return ErrorCode.UNKNOWN_MEMBER_ID
    if generation != g.generation:
        return ErrorCode.ILLEGAL_GENERATION
    schedule_heartbeat(st, g, m, now)
    if g.is_(S.PREPARING_REBALANCE):
        return ErrorCode.REBALANCE_IN_PROGRESS
    return ErrorCode.NONE


def leave_group(
    st: GroupShardState,
    group_id: str,
    leaving: list[LeavingMember],
    now: int,
    respond: Callable[[ErrorCode, list[ErrorCode]], None],
) -> CoordinatorResult:
    """Batched LeaveGroup (KIP-345): one error per leaving member."""
    g = st.classic(group_id)
    if g is None or g.is_(S.DEAD):
        top = ErrorCode.UNKNOWN_MEMBER_ID if g is None else ErrorCode.COORDINATOR_NOT_AVAILABLE
        errors = [top] * len(leaving)
        return CoordinatorResult().then(lambda _e: respond(top, errors))
    res = CoordinatorResult()
    errors = []
    for lm in leaving:
        mid = lm.member_id
        if lm.group_instance_id is not None:
            known = g.static_members.get(lm.group_instance_id)
            if known is None:
                errors.append(ErrorCode.UNKNOWN_MEMBER_ID)
                continue
            if mid != UNKNOWN_MEMBER and mid != known:
                errors.append(ErrorCode.FENCED_INSTANCE_ID)
                continue
            mid = known
        if mid in g.pending_members:
            res.extend(remove_pending_member(st, g, mid, now))
            errors.append(ErrorCode.NONE)
        elif (m := g.members.get(mid)) is not None:
            res.extend(remove_member_and_update(st, g, m, now))
            errors.append(ErrorCode.NONE)
        else:
            errors.append(ErrorCode.UNKNOWN_MEMBER_ID)
    return res.then(lambda _e: respond(ErrorCode.NONE, errors))
