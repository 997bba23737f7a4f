"""KIP-848 ConsumerGroupHeartbeat and ConsumerGroupDescribe.

One heartbeat does, in order: validate; leave (epoch -1/-2) or fetch/create the member (epoch 0
joins); record a changed subscription with a bumped group epoch; if the group epoch is ahead of
the assignment epoch, run the server-side assignor and record the new target; reconcile the
member toward its target (revoke first; take only partitions no other member still owns); answer
with the member epoch and, when it changed, the assignment. Every change is a record and is
applied by replay (:mod:`odradek.coordinator.group.consumer_state`); deadlines are volatile.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Hashable
from typing import Protocol

from odradek.common.errors import ErrorCode
from odradek.coordinator.group import records as r
from odradek.coordinator.group.api import (
    ConsumerGroupDescription,
    ConsumerHeartbeatRequest,
    ConsumerHeartbeatResponse,
    ConsumerMemberDescription,
)
from odradek.coordinator.group.assignors import ASSIGNORS
from odradek.coordinator.group.classic import ClassicGroup
from odradek.coordinator.group.consumer_state import (
    MEMBER_STABLE,
    MEMBER_UNRELEASED,
    MEMBER_UNREVOKED,
    ConsumerGroup,
    ConsumerMember,
    TopicPartitions,
)
from odradek.coordinator.group.state import GroupShardState
from odradek.coordinator.runtime import CoordinatorResult, Record

LEAVE_EPOCH = -1
STATIC_LEAVE_EPOCH = -2


class TopicsView(Protocol):
    """What the coordinator needs to know about topics (from the broker's metadata)."""

    def topic_id(self, name: str) -> uuid.UUID | None: ...

    def partition_count(self, name: str) -> int: ...

    def topic_names(self) -> list[str]: ...


Respond = Callable[[ConsumerHeartbeatResponse], None]


def _error(respond: Respond, code: ErrorCode, message: str | None = None) -> CoordinatorResult:
    resp = ConsumerHeartbeatResponse(code, message)
    return CoordinatorResult().then(lambda _e: respond(resp))


def _group_epoch_record(g: ConsumerGroup, epoch: int) -> Record:
    return r.GroupKey(g.group_id, r.CONSUMER_GROUP_METADATA).encode(), r.EpochValue(epoch).encode()


def _member_records(g: ConsumerGroup, m: ConsumerMember, *versions: int) -> list[Record]:
    out: list[Record] = []
    for version in versions:
        key = r.MemberKey(g.group_id, m.member_id, version).encode()
        if version == r.MEMBER_METADATA:
            out.append((key, m.metadata_value().encode()))
        else:
            out.append((key, m.current_value().encode()))
    return out


def removal_records(g: ConsumerGroup, member_id: str) -> list[Record]:
    """Tombstones for a member and the bumped group epoch that triggers a new assignment."""
    out: list[Record] = [
        (r.MemberKey(g.group_id, member_id, v).encode(), None)
        for v in (r.CURRENT_MEMBER_ASSIGNMENT, r.TARGET_ASSIGNMENT_MEMBER, r.MEMBER_METADATA)
    ]
    out.append(_group_epoch_record(g, g.group_epoch + 1))
    return out


def _validate(req: ConsumerHeartbeatRequest, assignors: tuple[str, ...]) -> str | None:
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


def heartbeat(
    st: GroupShardState,
    topics: TopicsView,
    req: ConsumerHeartbeatRequest,
    now: int,
    respond: Respond,
) -> CoordinatorResult:
    problem = _validate(req, st.config.consumer_assignors)
    if problem is not None:
        return _error(respond, ErrorCode.INVALID_REQUEST, problem)
    assignor = req.server_assignor
    if assignor is not None and assignor not in st.config.consumer_assignors:
        return _error(respond, ErrorCode.UNSUPPORTED_ASSIGNOR, f"{assignor} is not supported")
    existing = st.groups.get(req.group_id)
    if isinstance(existing, ClassicGroup):
        if existing.members:
            return _error(respond, ErrorCode.GROUP_ID_NOT_FOUND, "Group is not a consumer group.")
        existing = st.groups[req.group_id] = ConsumerGroup(req.group_id, offsets=existing.offsets)
    g = existing if existing is not None else ConsumerGroup(req.group_id)
    if req.member_epoch in (LEAVE_EPOCH, STATIC_LEAVE_EPOCH):
        return _leave(st, g, req, respond)
    member = g.members.get(req.member_id) if req.member_id else None
    if req.member_epoch == 0:
        if member is None:
            member = ConsumerMember(req.member_id or str(uuid.uuid4()))
    else:
        if member is None:
            return _error(respond, ErrorCode.UNKNOWN_MEMBER_ID, "Unknown member.")
        fenced = _epoch_error(member, req)
        if fenced is not None:
            return _error(respond, fenced, "The member epoch is not current.")
    if existing is None:
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
    for kind in ("session", "rebalance"):
        st.timers.cancel((kind, g.group_id, member.member_id))
    resp = ConsumerHeartbeatResponse(ErrorCode.NONE, None, member.member_id, req.member_epoch)

    def done(error: ErrorCode) -> None:
        respond(resp if error == ErrorCode.NONE else ConsumerHeartbeatResponse(error))

    return CoordinatorResult(removal_records(g, member.member_id)).then(done)


def _subscribed(topics: TopicsView, m: ConsumerMember) -> tuple[str, ...]:
    names = set(m.subscribed_topics)
    if m.subscribed_regex:
        try:
            pattern = re.compile(m.subscribed_regex)
        except re.error:
            pattern = None
        if pattern is not None:
            names.update(n for n in topics.topic_names() if pattern.fullmatch(n))
    return tuple(sorted(names))


def _topic_info(topics: TopicsView, names: set[str]) -> dict[str, tuple[uuid.UUID, int]]:
    info = {}
    for name in sorted(names):
        tid = topics.topic_id(name)
        count = topics.partition_count(name)
        if tid is not None and count > 0:
            info[name] = (tid, count)
    return info


def _updated_member(m: ConsumerMember, req: ConsumerHeartbeatRequest) -> ConsumerMember:
    return dataclasses.replace(
        m,
        instance_id=req.instance_id if req.instance_id is not None else m.instance_id,
        rack_id=req.rack_id if req.rack_id is not None else m.rack_id,
        client_id=req.client_id or m.client_id,
        client_host=req.client_host or m.client_host,
        subscribed_topics=(
            tuple(req.subscribed_topic_names)
            if req.subscribed_topic_names is not None
            else m.subscribed_topics
        ),
        subscribed_regex=(
            req.subscribed_topic_regex
            if req.subscribed_topic_regex is not None
            else m.subscribed_regex
        ),
        server_assignor=req.server_assignor
        if req.server_assignor is not None
        else m.server_assignor,
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
    group_epoch = g.group_epoch
    members = {**g.members, updated.member_id: updated}
    info = _topic_info(topics, {n for m in members.values() for n in _subscribed(topics, m)})
    metadata = {n: c for n, (_t, c) in info.items()}
    if is_new or updated.metadata_value() != member.metadata_value():
        records.append(_member_records(g, updated, r.MEMBER_METADATA)[0])
        group_epoch += 1
    elif metadata != g.assigned_metadata:
        group_epoch += 1
    if group_epoch != g.group_epoch:
        records.append(_group_epoch_record(g, group_epoch))
    target = g.target
    assignment_epoch = g.assignment_epoch
    if group_epoch > g.assignment_epoch:
        target, new_records = _new_target(st, topics, g, members, info, group_epoch)
        records.extend(new_records)
        assignment_epoch = group_epoch
        g.assigned_metadata = metadata
    reconciled = reconcile(
        updated, target.get(updated.member_id, {}), assignment_epoch, g, req.owned
    )
    if is_new or reconciled.current_value() != member.current_value():
        records.extend(_member_records(g, reconciled, r.CURRENT_MEMBER_ASSIGNMENT))
    _arm_deadlines(st, g.group_id, reconciled, now)
    send_assignment = (
        req.member_epoch == 0
        or reconciled.assigned != member.assigned
        or (req.owned is not None and req.owned != _nonempty(reconciled.assigned))
    )
    mid = reconciled.member_id

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
                _nonempty(m.assigned) if send_assignment else None,
            )
        )

    return CoordinatorResult(records).then(done)


def _nonempty(tps: TopicPartitions) -> dict[uuid.UUID, frozenset[int]]:
    return {t: ps for t, ps in tps.items() if ps}


def _new_target(
    st: GroupShardState,
    topics: TopicsView,
    g: ConsumerGroup,
    members: dict[str, ConsumerMember],
    info: dict[str, tuple[uuid.UUID, int]],
    epoch: int,
) -> tuple[dict[str, TopicPartitions], list[Record]]:
    preferred = [m.server_assignor for m in members.values() if m.server_assignor]
    name = (
        max(set(preferred), key=preferred.count) if preferred else st.config.consumer_assignors[0]
    )
    subscriptions = {mid: _subscribed(topics, m) for mid, m in members.items()}
    target = ASSIGNORS[name](subscriptions, info, g.target)
    records: list[Record] = []
    for mid in sorted(target):
        if target[mid] != g.target.get(mid):
            key = r.MemberKey(g.group_id, mid, r.TARGET_ASSIGNMENT_MEMBER).encode()
            records.append((key, r.TargetMemberValue(target[mid]).encode()))
    for mid in sorted(set(g.target) - set(target)):
        records.append((r.MemberKey(g.group_id, mid, r.TARGET_ASSIGNMENT_MEMBER).encode(), None))
    meta_key = r.GroupKey(g.group_id, r.TARGET_ASSIGNMENT_METADATA).encode()
    records.append((meta_key, r.EpochValue(epoch).encode()))
    return target, records


def reconcile(
    m: ConsumerMember,
    target: TopicPartitions,
    target_epoch: int,
    g: ConsumerGroup,
    owned: dict[uuid.UUID, frozenset[int]] | None,
) -> ConsumerMember:
    """The member's next current assignment on its way to ``target`` (Kafka's rules)."""
    if m.state == MEMBER_UNREVOKED:
        still = owned is None or any(
            ps & m.pending_revocation.get(t, frozenset()) for t, ps in owned.items()
        )
        if still:
            return m
        m = dataclasses.replace(m, pending_revocation={}, state=MEMBER_STABLE)
    if m.member_epoch == target_epoch and m.state == MEMBER_STABLE:
        return m
    keep: TopicPartitions = {}
    revoke: TopicPartitions = {}
    for t, ps in m.assigned.items():
        want = target.get(t, frozenset())
        if ps & want:
            keep[t] = ps & want
        if ps - want:
            revoke[t] = ps - want
    if revoke:
        return dataclasses.replace(
            m, state=MEMBER_UNREVOKED, assigned=keep, pending_revocation=revoke
        )
    assigned = dict(keep)
    unreleased = False
    for t, ps in target.items():
        for p in sorted(ps - keep.get(t, frozenset())):
            owner = g.owner_of(t, p)
            if owner is not None and owner != m.member_id:
                unreleased = True
                continue
            assigned[t] = assigned.get(t, frozenset()) | {p}
    return dataclasses.replace(
        m,
        previous_member_epoch=m.member_epoch
        if m.member_epoch != target_epoch
        else m.previous_member_epoch,
        member_epoch=target_epoch,
        state=MEMBER_UNRELEASED if unreleased else MEMBER_STABLE,
        assigned=assigned,
        pending_revocation={},
    )


def _arm_deadlines(st: GroupShardState, group_id: str, m: ConsumerMember, now: int) -> None:
    st.timers.schedule(
        ("session", group_id, m.member_id), now + st.config.consumer_session_timeout_ms
    )
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
        code = ErrorCode.GROUP_ID_NOT_FOUND
        return ConsumerGroupDescription(group_id, code)
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
