"""The KIP-848 consumer group model and the replay of its records.

A consumer group has a *group epoch* (bumped whenever membership or subscriptions change), a
*target assignment* computed by a server-side assignor at an *assignment epoch*, and per member a
*current assignment* at a *member epoch*. A member converges on its target by first revoking the
partitions it must give up (it keeps its epoch until it confirms), then receiving partitions no
other member still owns, at which point it reaches the assignment epoch.

Records (see :mod:`odradek.coordinator.group.records`): group epoch (key v3), member
subscription (v5), target assignment epoch (v6), target per member (v7), current member
assignment (v8). Tombstones delete; the group record's tombstone deletes the group.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from odradek.coordinator.group import records as r
from odradek.coordinator.group.classic import GroupState
from odradek.coordinator.group.records import GroupKey, MemberKey, OffsetValue

TopicPartitions = dict[uuid.UUID, frozenset[int]]

MEMBER_STABLE = 0
MEMBER_UNREVOKED = 1
MEMBER_UNRELEASED = 2


@dataclass(slots=True)
class ConsumerMember:
    member_id: str
    instance_id: str | None = None
    rack_id: str | None = None
    client_id: str = ""
    client_host: str = ""
    subscribed_topics: tuple[str, ...] = ()
    subscribed_regex: str | None = None
    server_assignor: str | None = None
    rebalance_timeout_ms: int = 300000
    member_epoch: int = 0
    previous_member_epoch: int = -1
    state: int = MEMBER_STABLE
    assigned: TopicPartitions = field(default_factory=dict)
    pending_revocation: TopicPartitions = field(default_factory=dict)

    def metadata_value(self) -> r.ConsumerMemberValue:
        return r.ConsumerMemberValue(
            self.instance_id,
            self.rack_id,
            self.client_id,
            self.client_host,
            self.subscribed_topics,
            self.subscribed_regex,
            self.server_assignor,
            self.rebalance_timeout_ms,
        )

    def current_value(self) -> r.CurrentMemberValue:
        return r.CurrentMemberValue(
            self.member_epoch,
            self.previous_member_epoch,
            self.state,
            dict(self.assigned),
            dict(self.pending_revocation),
        )


@dataclass(slots=True)
class ConsumerGroup:
    group_id: str
    group_epoch: int = 0
    assignment_epoch: int = 0
    members: dict[str, ConsumerMember] = field(default_factory=dict)
    target: dict[str, TopicPartitions] = field(default_factory=dict)
    offsets: dict[tuple[str, int], OffsetValue] = field(default_factory=dict)
    # Topic metadata the target was computed against: name -> partition count (record v4).
    assigned_metadata: dict[str, int] = field(default_factory=dict)

    group_type = "consumer"
    protocol_type = "consumer"

    @property
    def state(self) -> GroupState:
        if not self.members:
            return GroupState.EMPTY
        if self.group_epoch > self.assignment_epoch:
            return GroupState.ASSIGNING
        for m in self.members.values():
            if m.member_epoch != self.assignment_epoch or m.state != MEMBER_STABLE:
                return GroupState.RECONCILING
        return GroupState.STABLE

    def subscribed_topics(self) -> set[str]:
        out: set[str] = set()
        for m in self.members.values():
            out.update(m.subscribed_topics)
        return out

    def static_member(self, instance_id: str) -> ConsumerMember | None:
        for m in self.members.values():
            if m.instance_id == instance_id:
                return m
        return None

    def owner_of(self, topic_id: uuid.UUID, partition: int) -> str | None:
        """The member that currently owns, or is still revoking, a partition."""
        for m in self.members.values():
            if partition in m.assigned.get(topic_id, ()) or partition in m.pending_revocation.get(
                topic_id, ()
            ):
                return m.member_id
        return None


def replay(group: ConsumerGroup, key: GroupKey | MemberKey, value: bytes | None) -> None:
    """Apply one KIP-848 record to ``group`` (the group record's tombstone is handled above)."""
    if isinstance(key, GroupKey):
        if key.version == r.CONSUMER_GROUP_METADATA and value is not None:
            group.group_epoch = r.decode_epoch_value(value).epoch
        elif key.version == r.TARGET_ASSIGNMENT_METADATA and value is not None:
            group.assignment_epoch = r.decode_epoch_value(value).epoch
        elif key.version == r.CONSUMER_GROUP_PARTITION_METADATA:
            topics = () if value is None else r.decode_partition_metadata_value(value).topics
            group.assigned_metadata = {name: count for _tid, name, count in topics}
        return
    mid = key.member_id
    if key.version == r.MEMBER_METADATA:
        if value is None:
            group.members.pop(mid, None)
            return
        mv = r.decode_consumer_member_value(value)
        member = group.members.setdefault(mid, ConsumerMember(mid))
        member.instance_id, member.rack_id = mv.instance_id, mv.rack_id
        member.client_id, member.client_host = mv.client_id, mv.client_host
        member.subscribed_topics, member.subscribed_regex = (
            mv.subscribed_topics,
            mv.subscribed_regex,
        )
        member.server_assignor = mv.server_assignor
        member.rebalance_timeout_ms = mv.rebalance_timeout_ms
    elif key.version == r.TARGET_ASSIGNMENT_MEMBER:
        if value is None:
            group.target.pop(mid, None)
        else:
            group.target[mid] = dict(r.decode_target_member_value(value).partitions)
    elif key.version == r.CURRENT_MEMBER_ASSIGNMENT and value is not None:
        cv = r.decode_current_member_value(value)
        member = group.members.setdefault(mid, ConsumerMember(mid))
        member.member_epoch, member.previous_member_epoch = (
            cv.member_epoch,
            cv.previous_member_epoch,
        )
        member.state = cv.state
        member.assigned = dict(cv.assigned)
        member.pending_revocation = dict(cv.pending_revocation)
