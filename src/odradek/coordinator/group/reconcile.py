"""KIP-848 assignment mechanics: the target assignment and a member's way toward it.

``new_target`` runs the server-side assignor (the one most members asked for, else the first of
``group.consumer.assignors``) and returns the records of the changed per-member targets, the
assignment epoch and the topic metadata it was computed against. ``reconcile`` is Kafka's
current-assignment builder: a member first gives up what its target no longer holds (keeping its
epoch until it confirms), then takes the partitions of its target that no other member still
owns, reaching the assignment epoch.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping
from typing import Protocol

from odradek.coordinator.group import records as r
from odradek.coordinator.group.assignors import ASSIGNORS
from odradek.coordinator.group.consumer_state import (
    MEMBER_STABLE,
    MEMBER_UNRELEASED,
    MEMBER_UNREVOKED,
    ConsumerGroup,
    ConsumerMember,
    TopicPartitions,
)
from odradek.coordinator.runtime import Record

TopicInfo = dict[str, tuple[uuid.UUID, int]]


class TopicsView(Protocol):
    """What the coordinator needs to know about topics (from the broker's metadata)."""

    def topic_id(self, name: str) -> uuid.UUID | None: ...

    def partition_count(self, name: str) -> int: ...

    def topic_names(self) -> list[str]: ...


def subscribed(topics: TopicsView, m: ConsumerMember) -> tuple[str, ...]:
    """The member's topics: the names it lists plus those its regex matches."""
    names = set(m.subscribed_topics)
    if m.subscribed_regex:
        try:
            pattern = re.compile(m.subscribed_regex)
        except re.error:
            pattern = None
        if pattern is not None:
            names.update(n for n in topics.topic_names() if pattern.fullmatch(n))
    return tuple(sorted(names))


def topic_info(topics: TopicsView, members: Mapping[str, ConsumerMember]) -> TopicInfo:
    info = {}
    for name in sorted({n for m in members.values() for n in subscribed(topics, m)}):
        tid = topics.topic_id(name)
        count = topics.partition_count(name)
        if tid is not None and count > 0:
            info[name] = (tid, count)
    return info


def new_target(
    default_assignor: str,
    topics: TopicsView,
    g: ConsumerGroup,
    members: Mapping[str, ConsumerMember],
    info: TopicInfo,
    epoch: int,
) -> tuple[dict[str, TopicPartitions], list[Record]]:
    preferred = [m.server_assignor for m in members.values() if m.server_assignor]
    name = max(set(preferred), key=preferred.count) if preferred else default_assignor
    subscriptions = {mid: subscribed(topics, m) for mid, m in members.items()}
    target = ASSIGNORS[name](subscriptions, info, g.target)
    records: list[Record] = []
    for mid in sorted(target):
        if target[mid] != g.target.get(mid):
            key = r.MemberKey(g.group_id, mid, r.TARGET_ASSIGNMENT_MEMBER).encode()
            records.append((key, r.TargetMemberValue(target[mid]).encode()))
    for mid in sorted(set(g.target) - set(target)):
        records.append((r.MemberKey(g.group_id, mid, r.TARGET_ASSIGNMENT_MEMBER).encode(), None))
    if {n: c for n, (_t, c) in info.items()} != g.assigned_metadata:
        value = r.PartitionMetadataValue(tuple((t, n, c) for n, (t, c) in sorted(info.items())))
        key = r.GroupKey(g.group_id, r.CONSUMER_GROUP_PARTITION_METADATA).encode()
        records.append((key, value.encode()))
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
    """The member's next current assignment on its way to ``target``."""
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
    previous = m.member_epoch if m.member_epoch != target_epoch else m.previous_member_epoch
    return dataclasses.replace(
        m,
        previous_member_epoch=previous,
        member_epoch=target_epoch,
        state=MEMBER_UNRELEASED if unreleased else MEMBER_STABLE,
        assigned=assigned,
        pending_revocation={},
    )
