"""Committed offsets: OffsetCommit (generation / member epoch checks), OffsetFetch, OffsetDelete,
and ``offsets.retention.minutes`` expiry (KIP-211 rules).

Expiry: offsets of an Empty group expire ``retention`` after the group became Empty; offsets of
a group with no protocol type (standalone commits) ``retention`` after their commit; offsets of a
Stable consumer-protocol group for topics nobody subscribes to, likewise; an explicit expire
timestamp (OffsetCommit v1 retention) always wins. An Empty group left without offsets dies.
"""

from __future__ import annotations

from collections.abc import Callable

from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import (
    NO_GENERATION,
    UNKNOWN_MEMBER,
    FetchedOffset,
    OffsetCommitRequest,
)
from odradek.coordinator.group.classic import CONSUMER_PROTOCOL, ClassicGroup, GroupState
from odradek.coordinator.group.consumer_state import ConsumerGroup
from odradek.coordinator.group.records import GroupKey, OffsetKey, OffsetValue
from odradek.coordinator.group.state import Group, GroupShardState
from odradek.coordinator.runtime import CoordinatorResult, Record

S = GroupState
PartitionErrors = list[tuple[str, int, ErrorCode]]


def _classic_commit_error(g: ClassicGroup, req: OffsetCommitRequest) -> ErrorCode:
    if g.is_(S.DEAD):
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if g.is_static_fenced(req.group_instance_id, req.member_id):
        return ErrorCode.FENCED_INSTANCE_ID
    if req.generation_id < 0 and req.member_id == UNKNOWN_MEMBER and g.is_(S.EMPTY):
        return ErrorCode.NONE  # a standalone commit: the group does not manage members
    if req.member_id not in g.members:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if req.generation_id != g.generation:
        return ErrorCode.ILLEGAL_GENERATION
    if g.is_(S.COMPLETING_REBALANCE):
        return ErrorCode.REBALANCE_IN_PROGRESS
    return ErrorCode.NONE


def _consumer_commit_error(g: ConsumerGroup, req: OffsetCommitRequest) -> ErrorCode:
    if req.generation_id < 0 and req.member_id == UNKNOWN_MEMBER and not g.members:
        return ErrorCode.NONE
    member = g.members.get(req.member_id)
    if member is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    if req.generation_id != member.member_epoch:
        # Clients of the new protocol (v9+) learn of a stale epoch; classic ones of a generation.
        return ErrorCode.STALE_MEMBER_EPOCH if req.version >= 9 else ErrorCode.ILLEGAL_GENERATION
    return ErrorCode.NONE


def commit_offsets(
    st: GroupShardState,
    req: OffsetCommitRequest,
    now: int,
    respond: Callable[[PartitionErrors], None],
) -> CoordinatorResult:
    g = st.groups.get(req.group_id)
    if not req.group_id:
        error = ErrorCode.INVALID_GROUP_ID
    elif g is None:
        standalone = req.generation_id < 0 or (
            req.generation_id == NO_GENERATION and req.member_id == UNKNOWN_MEMBER
        )
        error = ErrorCode.NONE if standalone else ErrorCode.ILLEGAL_GENERATION
    elif isinstance(g, ClassicGroup):
        error = _classic_commit_error(g, req)
        m = g.members.get(req.member_id)
        if error == ErrorCode.NONE and m is not None:
            st.timers.schedule(("hb", g.group_id, m.member_id), now + m.session_timeout)
    else:
        error = _consumer_commit_error(g, req)
    if error != ErrorCode.NONE:
        result: PartitionErrors = [(o.topic, o.partition, error) for o in req.offsets]
        return CoordinatorResult().then(lambda _e: respond(result))
    records: list[Record] = []
    plan: PartitionErrors = []
    expire = now + req.retention_time_ms if req.retention_time_ms > 0 else None
    for o in req.offsets:
        metadata = o.metadata or ""
        if len(metadata.encode()) > st.config.offset_metadata_max_bytes:
            plan.append((o.topic, o.partition, ErrorCode.OFFSET_METADATA_TOO_LARGE))
            continue
        value = OffsetValue(o.offset, metadata, now, o.leader_epoch, expire)
        records.append((OffsetKey(req.group_id, o.topic, o.partition).encode(), value.encode()))
        plan.append((o.topic, o.partition, ErrorCode.NONE))

    def done(error: ErrorCode) -> None:
        respond([(t, p, error if e == ErrorCode.NONE else e) for t, p, e in plan])

    return CoordinatorResult(records).then(done)


def _txn_member_error(st: GroupShardState, req: OffsetCommitRequest) -> ErrorCode:
    """KIP-447: a zombie consumer's transactional commit is refused."""
    if not req.group_id:
        return ErrorCode.INVALID_GROUP_ID
    g = st.groups.get(req.group_id)
    if g is None or (req.generation_id < 0 and not req.member_id):
        return ErrorCode.NONE
    member = g.members.get(req.member_id)
    if member is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    current = g.generation if isinstance(g, ClassicGroup) else getattr(member, "member_epoch", -1)
    return ErrorCode.NONE if req.generation_id == current else ErrorCode.ILLEGAL_GENERATION


def txn_commit_offsets(
    st: GroupShardState,
    req: OffsetCommitRequest,
    producer: tuple[int, int],
    now: int,
    respond: Callable[[PartitionErrors], None],
) -> CoordinatorResult:
    """TxnOffsetCommit: offset records in the producer's transactional batch, pending until the
    transaction's marker reaches this partition."""
    error = _txn_member_error(st, req)
    if error != ErrorCode.NONE:
        result: PartitionErrors = [(o.topic, o.partition, error) for o in req.offsets]
        return CoordinatorResult().then(lambda _e: respond(result))
    records: list[Record] = []
    plan: PartitionErrors = []
    for o in req.offsets:
        metadata = o.metadata or ""
        if len(metadata.encode()) > st.config.offset_metadata_max_bytes:
            plan.append((o.topic, o.partition, ErrorCode.OFFSET_METADATA_TOO_LARGE))
            continue
        value = OffsetValue(o.offset, metadata, now, o.leader_epoch)
        records.append((OffsetKey(req.group_id, o.topic, o.partition).encode(), value.encode()))
        plan.append((o.topic, o.partition, ErrorCode.NONE))

    def done(error: ErrorCode) -> None:
        respond([(t, p, error if e == ErrorCode.NONE else e) for t, p, e in plan])

    return CoordinatorResult(records, producer=producer).then(done)


def fetch_offsets(
    st: GroupShardState, group_id: str, partitions: list[tuple[str, int]] | None
) -> list[FetchedOffset]:
    """Committed offsets of ``partitions`` (None: every partition with a commit)."""
    g = st.groups.get(group_id)
    offsets = g.offsets if g is not None else {}
    if partitions is None:
        partitions = sorted(offsets)
    out = []
    for topic, part in partitions:
        v = offsets.get((topic, part))
        if v is None:
            out.append(FetchedOffset(topic, part))
        else:
            out.append(FetchedOffset(topic, part, v.offset, v.leader_epoch, v.metadata))
    return out


def _subscribed(g: Group) -> set[str] | None:
    if isinstance(g, ConsumerGroup):
        return g.subscribed_topics()
    if g.is_(S.EMPTY):
        return set()
    return g.subscribed_topics()


def delete_offsets(
    st: GroupShardState,
    group_id: str,
    partitions: list[tuple[str, int]],
    respond: Callable[[ErrorCode, PartitionErrors], None],
) -> CoordinatorResult:
    """OffsetDelete: refused per partition while the group subscribes to the topic."""
    g = st.groups.get(group_id)
    if g is None or (isinstance(g, ClassicGroup) and g.is_(S.DEAD)):
        return CoordinatorResult().then(lambda _e: respond(ErrorCode.GROUP_ID_NOT_FOUND, []))
    subscribed = _subscribed(g)
    if subscribed is None and g.protocol_type != CONSUMER_PROTOCOL:
        return CoordinatorResult().then(lambda _e: respond(ErrorCode.NON_EMPTY_GROUP, []))
    records: list[Record] = []
    plan: PartitionErrors = []
    for topic, part in partitions:
        if subscribed is None or topic in subscribed:
            plan.append((topic, part, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC))
            continue
        if (topic, part) in g.offsets:
            records.append((OffsetKey(group_id, topic, part).encode(), None))
        plan.append((topic, part, ErrorCode.NONE))

    def done(error: ErrorCode) -> None:
        respond(error, [(t, p, error if e == ErrorCode.NONE else e) for t, p, e in plan])

    return CoordinatorResult(records).then(done)


def _expired(g: Group, now: int, retention: int) -> list[tuple[str, int]]:
    def old(v: OffsetValue, base: int) -> bool:
        if v.expire_timestamp is not None:
            return v.expire_timestamp <= now
        return now - base >= retention

    if isinstance(g, ConsumerGroup):
        if g.members:
            return []
        return [tp for tp, v in g.offsets.items() if old(v, v.commit_timestamp)]
    if g.protocol_type is not None and g.is_(S.EMPTY):
        since = g.current_state_timestamp
        return [
            tp
            for tp, v in g.offsets.items()
            if old(v, v.commit_timestamp if since is None else since)
        ]
    if g.protocol_type is None:
        return [tp for tp, v in g.offsets.items() if old(v, v.commit_timestamp)]
    if g.protocol_type == CONSUMER_PROTOCOL and g.is_(S.STABLE):
        topics = g.subscribed_topics()
        if topics is not None:
            return [
                tp
                for tp, v in g.offsets.items()
                if tp[0] not in topics and old(v, v.commit_timestamp)
            ]
    return []


def expire_offsets(st: GroupShardState, now: int) -> CoordinatorResult:
    """Tombstones for expired offsets, and for Empty classic groups left with none."""
    records: list[Record] = []
    for g in list(st.groups.values()):
        expired = _expired(g, now, st.config.offsets_retention_ms)
        for topic, part in expired:
            records.append((OffsetKey(g.group_id, topic, part).encode(), None))
        left = len(g.offsets) - len(expired)
        if isinstance(g, ClassicGroup) and g.is_(S.EMPTY) and left == 0:
            records.append((GroupKey(g.group_id).encode(), None))
    return CoordinatorResult(records)
