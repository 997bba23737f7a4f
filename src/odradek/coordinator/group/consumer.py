"""KIP-848 ConsumerGroupHeartbeat and ConsumerGroupDescribe.

One heartbeat does, in order: validate; leave (epoch -1, or -2 for a static member that will
come back: it keeps its assignment until its session expires) or fetch/create the member (epoch
0 joins; a static member rejoining takes over its previous identity's assignment); record a
changed subscription with a bumped group epoch; if the group epoch is ahead of the assignment
epoch, compute and record a new target (:mod:`odradek.coordinator.group.reconcile`); reconcile
the member toward its target; answer with the member epoch and, when it changed, the assignment.
Every change is a record applied by replay (:mod:`odradek.coordinator.group.consumer_state`);
deadlines (session, revocation within the rebalance timeout) are volatile.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Hashable
from typing import TypeVar

from odradek.common.errors import ErrorCode
from odradek.coordinator.group import records as r
from odradek.coordinator.group.api import (
    ConsumerGroupDescription,
    ConsumerHeartbeatRequest,
    ConsumerHeartbeatResponse,
    ConsumerMemberDescription,
)
from odradek.coordinator.group.classic import ClassicGroup
from odradek.coordinator.group.consumer_state import (
    MEMBER_UNREVOKED,
    ConsumerGroup,
    ConsumerMember,
    TopicPartitions,
)
from odradek.coordinator.group.reconcile import (
    TopicsView,
    new_target,
    reconcile,
    topic_info,
)
from odradek.coordinator.group.state import GroupShardState
from odradek.coordinator.runtime import CoordinatorResult, Record

__all__ = ["TopicsView", "describe", "heartbeat", "on_deadline"]

LEAVE_EPOCH = -1
STATIC_LEAVE_EPOCH = -2

Respond = Callable[[ConsumerHeartbeatResponse], None]
T = TypeVar("T")


def _error(respond: Respond, code: ErrorCode, message: str | None = None) -> CoordinatorResult:
    resp = ConsumerHeartbeatResponse(code, message)
    return CoordinatorResult().then(lambda _e: respond(resp))


def _group_epoch_record(g: ConsumerGroup, epoch: int) -> Record:
    return r.GroupKey(g.group_id, r.CONSUMER_GROUP_METADATA).encode(), r.EpochValue(epoch).encode()


def _member_record(g: ConsumerGroup, m: ConsumerMember, version: int) -> Record:
    key = r.MemberKey(g.group_id, m.member_id, version).encode()
    if version == r.MEMBER_METADATA:
        return key, m.metadata_value().encode()
    return key, m.current_value().encode()


def _tombstones(g: ConsumerGroup, member_id: str) -> list[Record]:
    return [
        (r.MemberKey(g.group_id, member_id, v).encode(), None)
        for v in (r.CURRENT_MEMBER_ASSIGNMENT, r.TARGET_ASSIGNMENT_MEMBER, r.MEMBER_METADATA)
    ]


def removal_records(g: ConsumerGroup, member_id: str) -> list[Record]:
    """Tombstones for a member and the bumped group epoch that triggers a new assignment."""
    return [*_tombstones(g, member_id), _group_epoch_record(g, g.group_epoch + 1)]


def _validate(req: ConsumerHeartbeatRequest) -> str | None:
    if not req.group_id:
        return "GroupId can't be empty."
    if req.member_epoch == 0:
        if req.rebalance_timeout_ms == -1:
            return "RebalanceTimeoutMs must be provided in first request."
        if req.owned:
            return "TopicPartitions must be empty when (re-)joining."
        if not req.subscribed_topic_names and not req.subscribed_topic_regex:
            return "SubscribedTopicNames or SubscribedTopicRegex must be set in first request."
    elif req.member_epoch > 0 and not req.member_id:
        return "MemberId can't be empty."
    return None


def _group_for(st: GroupShardState, group_id: str) -> ConsumerGroup | None:
    existing = st.groups.get(group_id)
    if isinstance(existing, ClassicGroup):
        if existing.members:
            return None
        return ConsumerGroup(group_id, offsets=existing.offsets)
    return existing if existing is not None else ConsumerGroup(group_id)


def heartbeat(
    st: GroupShardState,
    topics: TopicsView,
    req: ConsumerHeartbeatRequest,
    now: int,
    respond: Respond,
) -> CoordinatorResult:
    problem = _validate(req)
    if problem is not None:
        return _error(respond, ErrorCode.INVALID_REQUEST, problem)
    assignor = req.server_assignor
    if assignor is not None and assignor not in st.config.consumer_assignors:
        return _error(respond, ErrorCode.UNSUPPORTED_ASSIGNOR, f"{assignor} is not supported")
    g = _group_for(st, req.group_id)
    if g is None:
        return _error(respond, ErrorCode.GROUP_ID_NOT_FOUND, "Group is not a consumer group.")
    if req.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
        return _leave(st, g, req, respond)
    member = g.members.get(req.member_id) if req.member_id else None
    if req.member_epoch == 0 and req.instance_id is not None:
        old = g.static_member(req.instance_id)
        if old is not None and old.member_id != req.member_id:
            if old.member_epoch != STATIC_LEAVE_EPOCH:
                return _error(respond, ErrorCode.UNRELEASED_INSTANCE_ID, "Instance id in use.")
            st.groups[g.group_id] = g
            return _replace_static(st, topics, g, old, req, now, respond)
    if req.member_epoch == 0:
        if member is None:
            member = ConsumerMember(req.member_id or str(uuid.uuid4()))
    else:
        if member is None:
            return _error(respond, ErrorCode.UNKNOWN_MEMBER_ID, "Unknown member.")
        fenced = _epoch_error(member, req)
        if fenced is not None:
            return _error(respond, fenced, "The member epoch is not current.")
    st.groups[g.group_id] = g
    return _heartbeat(st, topics, g, member, req, now, respond)


def _epoch_error(m: ConsumerMember, req: ConsumerHeartbeatRequest) -> ErrorCode | None:
    if req.member_epoch == m.member_epoch:
        return None
    # The previous response was lost: accept if it owns nothing it should not.
    if (
        req.member_epoch == m.previous_member_epoch
        and req.owned is not None
        and all(ps <= m.assigned.get(t, frozenset()) for t, ps in req.owned.items())
    ):
        return None
    return ErrorCode.FENCED_MEMBER_EPOCH


def _leave(
    st: GroupShardState, g: ConsumerGroup, req: ConsumerHeartbeatRequest, respond: Respond
) -> CoordinatorResult:
    member = g.members.get(req.member_id)
    if member is None:
        return _error(respond, ErrorCode.UNKNOWN_MEMBER_ID, "Unknown member.")
    st.timers.cancel(("rebalance", g.group_id, member.member_id))
    if req.member_epoch == STATIC_LEAVE_EPOCH and member.instance_id is not None:
        # A static member steps out: it keeps its partitions until its session expires.
        away = dataclasses.replace(
            member, member_epoch=STATIC_LEAVE_EPOCH, previous_member_epoch=member.member_epoch
        )
        records = [_member_record(g, away, r.CURRENT_MEMBER_ASSIGNMENT)]
    else:
        st.timers.cancel(("session", g.group_id, member.member_id))
        records = removal_records(g, member.member_id)
    resp = ConsumerHeartbeatResponse(ErrorCode.NONE, None, member.member_id, req.member_epoch)

    def done(error: ErrorCode) -> None:
        respond(resp if error == ErrorCode.NONE else ConsumerHeartbeatResponse(error))

    return CoordinatorResult(records).then(done)


def _replace_static(
    st: GroupShardState,
    topics: TopicsView,
    g: ConsumerGroup,
    old: ConsumerMember,
    req: ConsumerHeartbeatRequest,
    now: int,
    respond: Respond,
) -> CoordinatorResult:
    """The new incarnation takes the old one's assignment and epoch: no rebalance."""
    new_id = req.member_id or str(uuid.uuid4())
    new = dataclasses.replace(
        _updated_member(old, req), member_id=new_id, member_epoch=old.previous_member_epoch
    )
    records = _tombstones(g, old.member_id)
    records.append(_member_record(g, new, r.MEMBER_METADATA))
    if old.member_id in g.target:
        key = r.MemberKey(g.group_id, new_id, r.TARGET_ASSIGNMENT_MEMBER).encode()
        records.append((key, r.TargetMemberValue(g.target[old.member_id]).encode()))
    records.append(_member_record(g, new, r.CURRENT_MEMBER_ASSIGNMENT))
    for kind in ("session", "rebalance"):
        st.timers.cancel((kind, g.group_id, old.member_id))
    member_req = dataclasses.replace(req, member_id=new_id)

    def done(error: ErrorCode) -> None:
        if error != ErrorCode.NONE:
            respond(ConsumerHeartbeatResponse(error))
            return
        st.run_later(_heartbeat(st, topics, g, g.members[new_id], member_req, now, respond))

    return CoordinatorResult(records).then(done)


def _updated_member(m: ConsumerMember, req: ConsumerHeartbeatRequest) -> ConsumerMember:
    def pick(new: T | None, old: T) -> T:
        return old if new is None else new

    return dataclasses.replace(
        m,
        instance_id=pick(req.instance_id, m.instance_id),
        rack_id=pick(req.rack_id, m.rack_id),
        client_id=req.client_id or m.client_id,
        client_host=req.client_host or m.client_host,
        subscribed_topics=pick(
            None if req.subscribed_topic_names is None else tuple(req.subscribed_topic_names),
            m.subscribed_topics,
        ),
        subscribed_regex=pick(req.subscribed_topic_regex, m.subscribed_regex),
        server_assignor=pick(req.server_assignor, m.server_assignor),
        rebalance_timeout_ms=(
            req.rebalance_timeout_ms if req.rebalance_timeout_ms > 0 else m.rebalance_timeout_ms
        ),
    )


def _heartbeat(
    st: GroupShardState,
    topics: TopicsView,
    g: ConsumerGroup,
    member: ConsumerMember,
    req: ConsumerHeartbeatRequest,
    now: int,
    respond: Respond,
) -> CoordinatorResult:
    records: list[Record] = []
    updated = _updated_member(member, req)
    is_new = member.member_id not in g.members
    members = {**g.members, updated.member_id: updated}
    info = topic_info(topics, members)
    group_epoch = g.group_epoch
    if is_new or updated.metadata_value() != member.metadata_value():
        records.append(_member_record(g, updated, r.MEMBER_METADATA))
        group_epoch += 1
    elif {n: c for n, (_t, c) in info.items()} != g.assigned_metadata:
        group_epoch += 1
    if group_epoch != g.group_epoch:
        records.append(_group_epoch_record(g, group_epoch))
    target, assignment_epoch = g.target, g.assignment_epoch
    if group_epoch > g.assignment_epoch:
        default = st.config.consumer_assignors[0]
        target, new_records = new_target(default, topics, g, members, info, group_epoch)
        records.extend(new_records)
        assignment_epoch = group_epoch
    reconciled = reconcile(
        updated, target.get(updated.member_id, {}), assignment_epoch, g, req.owned
    )
    if is_new or reconciled.current_value() != member.current_value():
        records.append(_member_record(g, reconciled, r.CURRENT_MEMBER_ASSIGNMENT))
    _arm_deadlines(st, g.group_id, reconciled, now)
    send = (
        req.member_epoch == 0
        or reconciled.assigned != member.assigned
        or (req.owned is not None and req.owned != _nonempty(reconciled.assigned))
    )
    return CoordinatorResult(records).then(_answer(st, g, reconciled.member_id, send, respond))


def _answer(
    st: GroupShardState, g: ConsumerGroup, mid: str, send: bool, respond: Respond
) -> Callable[[ErrorCode], None]:
    def done(error: ErrorCode) -> None:
        if error != ErrorCode.NONE:
            respond(ConsumerHeartbeatResponse(error))
            return
        m = g.members[mid]
        respond(
            ConsumerHeartbeatResponse(
                ErrorCode.NONE,
                None,
                mid,
                m.member_epoch,
                st.config.consumer_heartbeat_interval_ms,
                _nonempty(m.assigned) if send else None,
            )
        )

    return done


def _nonempty(tps: TopicPartitions) -> dict[uuid.UUID, frozenset[int]]:
    return {t: ps for t, ps in tps.items() if ps}


def _arm_deadlines(st: GroupShardState, group_id: str, m: ConsumerMember, now: int) -> None:
    session = ("session", group_id, m.member_id)
    st.timers.schedule(session, now + st.config.consumer_session_timeout_ms)
    key = ("rebalance", group_id, m.member_id)
    if m.state == MEMBER_UNREVOKED:
        if st.timers.deadline(key) is None:
            st.timers.schedule(key, now + m.rebalance_timeout_ms)
    else:
        st.timers.cancel(key)


def on_deadline(
    st: GroupShardState, topics: TopicsView, key: Hashable, now: int
) -> CoordinatorResult:
    """A member missed its session or did not revoke in time: it is fenced out."""
    assert isinstance(key, tuple)
    g = st.consumer(key[1])
    if g is None or key[2] not in g.members:
        return CoordinatorResult()
    for kind in ("session", "rebalance"):
        st.timers.cancel((kind, g.group_id, key[2]))
    return CoordinatorResult(removal_records(g, key[2]))


def describe(st: GroupShardState, group_id: str) -> ConsumerGroupDescription:
    g = st.consumer(group_id)
    if g is None:
        return ConsumerGroupDescription(group_id, ErrorCode.GROUP_ID_NOT_FOUND)
    members = tuple(
        ConsumerMemberDescription(
            m.member_id,
            m.instance_id,
            m.rack_id,
            m.member_epoch,
            m.client_id,
            m.client_host,
            m.subscribed_topics,
            m.subscribed_regex,
            _nonempty(m.assigned),
            _nonempty(g.target.get(m.member_id, {})),
        )
        for m in g.members.values()
    )
    assignors = [m.server_assignor for m in g.members.values() if m.server_assignor]
    return ConsumerGroupDescription(
        group_id,
        ErrorCode.NONE,
        g.state.value,
        g.group_epoch,
        g.assignment_epoch,
        assignors[0] if assignors else st.config.consumer_assignors[0],
        members,
    )
