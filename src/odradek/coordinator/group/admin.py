"""DescribeGroups, ListGroups and DeleteGroups across classic and consumer groups."""

from __future__ import annotations

from collections.abc import Callable

from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import DescribedGroup, DescribedMember, ListedGroup
from odradek.coordinator.group.classic import ClassicGroup, GroupState
from odradek.coordinator.group.consumer_state import ConsumerGroup
from odradek.coordinator.group.records import (
    CONSUMER_GROUP_METADATA,
    CONSUMER_GROUP_PARTITION_METADATA,
    CURRENT_MEMBER_ASSIGNMENT,
    MEMBER_METADATA,
    TARGET_ASSIGNMENT_MEMBER,
    TARGET_ASSIGNMENT_METADATA,
    GroupKey,
    MemberKey,
    OffsetKey,
)
from odradek.coordinator.group.state import Group, GroupShardState
from odradek.coordinator.runtime import CoordinatorResult, Record

S = GroupState


def state_of(g: Group) -> GroupState:
    return g.state


def describe_group(st: GroupShardState, group_id: str) -> DescribedGroup:
    g = st.groups.get(group_id)
    if g is None:
        return DescribedGroup(group_id, ErrorCode.NONE, S.DEAD.value, "", "")
    if isinstance(g, ConsumerGroup):
        members = tuple(
            DescribedMember(m.member_id, m.instance_id, m.client_id, m.client_host, b"", b"")
            for m in g.members.values()
        )
        return DescribedGroup(group_id, ErrorCode.NONE, g.state.value, "consumer", "", members)
    stable = g.is_(S.STABLE)
    members = tuple(
        DescribedMember(
            m.member_id,
            m.group_instance_id,
            m.client_id,
            m.client_host,
            m.metadata(g.protocol) if stable else b"",
            m.assignment if stable else b"",
        )
        for m in g.members.values()
    )
    protocol = (g.protocol or "") if stable else ""
    return DescribedGroup(
        group_id, ErrorCode.NONE, g.state.value, g.protocol_type or "", protocol, members
    )


def list_groups(
    st: GroupShardState, states: set[str] | None, types: set[str] | None
) -> list[ListedGroup]:
    out = []
    for g in st.groups.values():
        state = g.state.value
        if states and state.lower() not in {s.lower() for s in states}:
            continue
        if types and g.group_type.lower() not in {t.lower() for t in types}:
            continue
        out.append(ListedGroup(g.group_id, g.protocol_type or "", state, g.group_type))
    return out


def _group_tombstones(g: Group) -> list[Record]:
    records: list[Record] = [
        (OffsetKey(g.group_id, t, p).encode(), None) for (t, p) in sorted(g.offsets)
    ]
    if isinstance(g, ClassicGroup):
        records.append((GroupKey(g.group_id).encode(), None))
        return records
    for mid in set(g.members) | set(g.target):
        for version in (TARGET_ASSIGNMENT_MEMBER, CURRENT_MEMBER_ASSIGNMENT, MEMBER_METADATA):
            records.append((MemberKey(g.group_id, mid, version).encode(), None))
    records.append((GroupKey(g.group_id, TARGET_ASSIGNMENT_METADATA).encode(), None))
    records.append((GroupKey(g.group_id, CONSUMER_GROUP_PARTITION_METADATA).encode(), None))
    records.append((GroupKey(g.group_id, CONSUMER_GROUP_METADATA).encode(), None))
    return records


def delete_groups(
    st: GroupShardState, group_ids: list[str], respond: Callable[[list[ErrorCode]], None]
) -> CoordinatorResult:
    """Delete Empty groups and their offsets; NON_EMPTY_GROUP / GROUP_ID_NOT_FOUND otherwise."""
    records: list[Record] = []
    plan: list[ErrorCode] = []
    for group_id in group_ids:
        g = st.groups.get(group_id)
        if not group_id:
            plan.append(ErrorCode.INVALID_GROUP_ID)
        elif g is None or g.state is S.DEAD:
            plan.append(ErrorCode.GROUP_ID_NOT_FOUND)
        elif g.state is not S.EMPTY:
            plan.append(ErrorCode.NON_EMPTY_GROUP)
        else:
            records.extend(_group_tombstones(g))
            if isinstance(g, ClassicGroup):
                st.timers.cancel(("join", group_id))
            plan.append(ErrorCode.NONE)

    def done(error: ErrorCode) -> None:
        respond([error if e == ErrorCode.NONE else e for e in plan])

    return CoordinatorResult(records).then(done)
