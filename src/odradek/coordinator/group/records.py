"""Kafka's ``__consumer_offsets`` record layouts: keys and values, encode and decode.

Every key and value starts with an int16 version. Keys (never flexible):

* v0/v1 ``OffsetCommitKey``: group string, topic string, partition int32.
* v2 ``GroupMetadataKey``: group string.
* v3..v8 (KIP-848): ``ConsumerGroupMetadataKey`` (3), ``ConsumerGroupPartitionMetadataKey`` (4),
  ``ConsumerGroupMemberMetadataKey`` (5), ``ConsumerGroupTargetAssignmentMetadataKey`` (6),
  ``ConsumerGroupTargetAssignmentMemberKey`` (7), ``ConsumerGroupCurrentMemberAssignmentKey`` (8):
  group string, plus member id string for 5, 7 and 8.

Values: ``OffsetCommitValue`` v0..v4 (v1 carries an explicit expire timestamp, v3 adds the leader
epoch, v4 is flexible; we write v3, or v1 when an explicit retention was requested) and
``GroupMetadataValue`` v0..v4 (v1 adds the member rebalance timeout, v2 the current state
timestamp, v3 the group instance id, v4 is flexible; we write v3). The KIP-848 values are
flexible v0 structs. A null value is a tombstone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from odradek.coordinator.group.codec import Cursor, Out
from odradek.protocol.primitives import DecodeError

Assignment = Mapping[uuid.UUID, frozenset[int]]


@dataclass(frozen=True, slots=True)
class OffsetKey:
    group: str
    topic: str
    partition: int

    def encode(self) -> bytes:
        return Out(1).string(self.group).string(self.topic).i32(self.partition).done()


@dataclass(frozen=True, slots=True)
class GroupKey:
    """Group metadata (2) or one of the KIP-848 group-level records (3, 4, 6)."""

    group: str
    version: int = 2

    def encode(self) -> bytes:
        return Out(self.version).string(self.group).done()


@dataclass(frozen=True, slots=True)
class MemberKey:
    """A KIP-848 per-member record key: member metadata (5), target (7), current (8)."""

    group: str
    member_id: str
    version: int

    def encode(self) -> bytes:
        return Out(self.version).string(self.group).string(self.member_id).done()


Key = OffsetKey | GroupKey | MemberKey
CONSUMER_GROUP_METADATA = 3
CONSUMER_GROUP_PARTITION_METADATA = 4
MEMBER_METADATA = 5
TARGET_ASSIGNMENT_METADATA = 6
TARGET_ASSIGNMENT_MEMBER = 7
CURRENT_MEMBER_ASSIGNMENT = 8


def decode_key(data: bytes | memoryview) -> Key:
    c = Cursor(data)
    version = c.i16()
    if version in (0, 1):
        return OffsetKey(c.string(), c.string(), c.i32())
    if version in (2, 3, 4, 6):
        return GroupKey(c.string(), version)
    if version in (5, 7, 8):
        return MemberKey(c.string(), c.string(), version)
    raise DecodeError(f"unknown __consumer_offsets key version {version}")


@dataclass(frozen=True, slots=True)
class OffsetValue:
    offset: int
    metadata: str = ""
    commit_timestamp: int = -1
    leader_epoch: int = -1
    expire_timestamp: int | None = None

    def encode(self) -> bytes:
        if self.expire_timestamp is not None:
            out = Out(1).i64(self.offset).string(self.metadata).i64(self.commit_timestamp)
            return out.i64(self.expire_timestamp).done()
        out = Out(3).i64(self.offset).i32(self.leader_epoch).string(self.metadata)
        return out.i64(self.commit_timestamp).done()


def decode_offset_value(data: bytes | memoryview) -> OffsetValue:
    version = Cursor(data).i16()
    if not 0 <= version <= 4:
        raise DecodeError(f"unknown offset commit value version {version}")
    c = Cursor(data, 2, flexible=version >= 4)
    offset = c.i64()
    epoch = c.i32() if version >= 3 else -1
    metadata = c.string()
    ts = c.i64()
    expire = c.i64() if version == 1 else None
    c.tags()
    return OffsetValue(offset, metadata, ts, epoch, expire)


@dataclass(frozen=True, slots=True)
class MemberMetadata:
    member_id: str
    client_id: str
    client_host: str
    session_timeout: int
    rebalance_timeout: int
    subscription: bytes
    assignment: bytes
    group_instance_id: str | None = None


@dataclass(frozen=True, slots=True)
class GroupValue:
    protocol_type: str
    generation: int
    protocol: str | None
    leader: str | None
    current_state_timestamp: int
    members: tuple[MemberMetadata, ...] = ()

    def encode(self) -> bytes:
        out = Out(3).string(self.protocol_type).i32(self.generation)
        out.string(self.protocol).string(self.leader).i64(self.current_state_timestamp)
        out.array(len(self.members))
        for m in self.members:
            out.string(m.member_id).string(m.group_instance_id).string(m.client_id)
            out.string(m.client_host).i32(m.rebalance_timeout).i32(m.session_timeout)
            out.bytes_(m.subscription).bytes_(m.assignment)
        return out.done()


def decode_group_value(data: bytes | memoryview) -> GroupValue:
    version = Cursor(data).i16()
    if not 0 <= version <= 4:
        raise DecodeError(f"unknown group metadata value version {version}")
    c = Cursor(data, 2, flexible=version >= 4)
    protocol_type, generation = c.string(), c.i32()
    protocol, leader = c.nstring(), c.nstring()
    ts = c.i64() if version >= 2 else -1
    members = []
    for _ in range(c.array()):
        member_id = c.string()
        instance = c.nstring() if version >= 3 else None
        client_id, host = c.string(), c.string()
        rebalance = c.i32() if version >= 1 else -1
        session = c.i32()
        sub, assignment = c.bytes_(), c.bytes_()
        c.tags()
        if rebalance < 0:
            rebalance = session
        members.append(
            MemberMetadata(
                member_id, client_id, host, session, rebalance, sub, assignment, instance
            )
        )
    c.tags()
    return GroupValue(protocol_type, generation, protocol, leader, ts, tuple(members))


# ----------------------------------------------------------------------------- KIP-848


@dataclass(frozen=True, slots=True)
class EpochValue:
    """ConsumerGroupMetadataValue (group epoch) or TargetAssignmentMetadataValue (its epoch)."""

    epoch: int

    def encode(self) -> bytes:
        return Out(0, True).i32(self.epoch).tags().done()


def decode_epoch_value(data: bytes | memoryview) -> EpochValue:
    c = Cursor(data, 2, flexible=True)
    return EpochValue(c.i32())


@dataclass(frozen=True, slots=True)
class PartitionMetadataValue:
    """ConsumerGroupPartitionMetadataValue: the topics the target assignment was computed for."""

    topics: tuple[tuple[uuid.UUID, str, int], ...] = ()

    def encode(self) -> bytes:
        out = Out(0, True).array(len(self.topics))
        for topic_id, name, count in self.topics:
            out.uuid(topic_id).string(name).i32(count).array(0).tags()
        return out.tags().done()


def decode_partition_metadata_value(data: bytes | memoryview) -> PartitionMetadataValue:
    c = Cursor(data, 2, flexible=True)
    topics = []
    for _ in range(c.array()):
        topic_id, name, count = c.uuid(), c.string(), c.i32()
        for _ in range(c.array()):  # per-partition rack metadata: not used
            c.i32()
            for _ in range(c.array()):
                c.string()
            c.tags()
        c.tags()
        topics.append((topic_id, name, count))
    return PartitionMetadataValue(tuple(topics))


@dataclass(frozen=True, slots=True)
class ConsumerMemberValue:
    """ConsumerGroupMemberMetadataValue: a KIP-848 member's subscription and client details."""

    instance_id: str | None
    rack_id: str | None
    client_id: str
    client_host: str
    subscribed_topics: tuple[str, ...]
    subscribed_regex: str | None
    server_assignor: str | None
    rebalance_timeout_ms: int

    def encode(self) -> bytes:
        out = Out(0, True).string(self.instance_id).string(self.rack_id)
        out.string(self.client_id).string(self.client_host).array(len(self.subscribed_topics))
        for t in self.subscribed_topics:
            out.string(t)
        out.string(self.subscribed_regex).string(self.server_assignor)
        return out.i32(self.rebalance_timeout_ms).tags().done()


def decode_consumer_member_value(data: bytes | memoryview) -> ConsumerMemberValue:
    c = Cursor(data, 2, flexible=True)
    instance, rack, client, host = c.nstring(), c.nstring(), c.string(), c.string()
    topics = tuple(c.string() for _ in range(c.array()))
    regex, assignor, timeout = c.nstring(), c.nstring(), c.i32()
    return ConsumerMemberValue(instance, rack, client, host, topics, regex, assignor, timeout)


def _write_assignment(out: Out, assignment: Assignment) -> None:
    out.array(len(assignment))
    for topic_id in sorted(assignment, key=lambda u: u.bytes):
        parts = sorted(assignment[topic_id])
        out.uuid(topic_id).array(len(parts))
        for part in parts:
            out.i32(part)
        out.tags()


def _read_assignment(c: Cursor) -> dict[uuid.UUID, frozenset[int]]:
    result: dict[uuid.UUID, frozenset[int]] = {}
    for _ in range(c.array()):
        topic_id = c.uuid()
        result[topic_id] = frozenset(c.i32() for _ in range(c.array()))
        c.tags()
    return result


@dataclass(frozen=True, slots=True)
class TargetMemberValue:
    """ConsumerGroupTargetAssignmentMemberValue: the partitions a member should own."""

    partitions: Assignment = field(default_factory=dict)

    def encode(self) -> bytes:
        out = Out(0, True)
        _write_assignment(out, self.partitions)
        return out.tags().done()


def decode_target_member_value(data: bytes | memoryview) -> TargetMemberValue:
    return TargetMemberValue(_read_assignment(Cursor(data, 2, flexible=True)))


@dataclass(frozen=True, slots=True)
class CurrentMemberValue:
    """ConsumerGroupCurrentMemberAssignmentValue: a member's epoch and reconciled assignment."""

    member_epoch: int
    previous_member_epoch: int
    state: int
    assigned: Assignment = field(default_factory=dict)
    pending_revocation: Assignment = field(default_factory=dict)

    def encode(self) -> bytes:
        out = Out(0, True).i32(self.member_epoch).i32(self.previous_member_epoch).i8(self.state)
        _write_assignment(out, self.assigned)
        _write_assignment(out, self.pending_revocation)
        return out.tags().done()


def decode_current_member_value(data: bytes | memoryview) -> CurrentMemberValue:
    c = Cursor(data, 2, flexible=True)
    epoch, previous, state = c.i32(), c.i32(), c.i8()
    return CurrentMemberValue(epoch, previous, state, _read_assignment(c), _read_assignment(c))
