"""The classic (JoinGroup/SyncGroup) group model: members, states, protocol selection.

States and their allowed predecessors, as in Kafka's ``GroupMetadata``::

    Empty               <- PreparingRebalance
    PreparingRebalance  <- Stable, CompletingRebalance, Empty
    CompletingRebalance <- PreparingRebalance
    Stable              <- CompletingRebalance
    Dead                <- every state

A classic group's durable form is the ``GroupMetadataValue`` snapshot written when the leader's
assignment is stored (or when the group empties); everything about a rebalance in flight
(members waiting in JoinGroup/SyncGroup, pending KIP-394 member ids) is volatile, as in Kafka.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from odradek.coordinator.group.api import JoinCallback, JoinMember, SyncCallback
from odradek.coordinator.group.codec import Cursor
from odradek.coordinator.group.records import GroupValue, MemberMetadata, OffsetValue
from odradek.protocol.primitives import DecodeError

CONSUMER_PROTOCOL = "consumer"


class GroupState(enum.Enum):
    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"
    # KIP-848 consumer groups
    ASSIGNING = "Assigning"
    RECONCILING = "Reconciling"


_VALID_PREVIOUS = {
    GroupState.EMPTY: {GroupState.PREPARING_REBALANCE, GroupState.EMPTY},
    GroupState.PREPARING_REBALANCE: {
        GroupState.STABLE,
        GroupState.COMPLETING_REBALANCE,
        GroupState.EMPTY,
    },
    GroupState.COMPLETING_REBALANCE: {GroupState.PREPARING_REBALANCE},
    GroupState.STABLE: {GroupState.COMPLETING_REBALANCE, GroupState.STABLE, GroupState.EMPTY},
    GroupState.DEAD: set(GroupState),
}


@dataclass(slots=True)
class ClassicMember:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    session_timeout: int
    rebalance_timeout: int
    protocol_type: str
    protocols: tuple[tuple[str, bytes], ...]
    assignment: bytes = b""
    join_callback: JoinCallback | None = None
    sync_callback: SyncCallback | None = None
    is_new: bool = False

    def metadata(self, protocol: str | None) -> bytes:
        for name, meta in self.protocols:
            if name == protocol:
                return meta
        return b""

    def matches(self, protocols: tuple[tuple[str, bytes], ...]) -> bool:
        return self.protocols == protocols

    def vote(self, candidates: set[str]) -> str:
        for name, _ in self.protocols:
            if name in candidates:
                return name
        raise ValueError("member supports none of the candidate protocols")


@dataclass(slots=True)
class ClassicGroup:
    group_id: str
    state: GroupState = GroupState.EMPTY
    protocol_type: str | None = None
    protocol: str | None = None
    generation: int = 0
    leader: str | None = None
    members: dict[str, ClassicMember] = field(default_factory=dict)
    static_members: dict[str, str] = field(default_factory=dict)
    pending_members: set[str] = field(default_factory=set)
    pending_sync: set[str] = field(default_factory=set)
    offsets: dict[tuple[str, int], OffsetValue] = field(default_factory=dict)
    current_state_timestamp: int | None = None
    initial_join: bool = False
    join_remaining_ms: int = 0
    new_member_added: bool = False

    group_type = "classic"

    def transition(self, state: GroupState, now_ms: int | None = None) -> None:
        if self.state not in _VALID_PREVIOUS[state]:
            raise AssertionError(f"group {self.group_id}: {self.state} -> {state} is invalid")
        self.state = state
        if now_ms is not None:
            self.current_state_timestamp = now_ms

    def is_(self, *states: GroupState) -> bool:
        return self.state in states

    @property
    def awaiting_join(self) -> int:
        return sum(1 for m in self.members.values() if m.join_callback is not None)

    def has_all_members_joined(self) -> bool:
        return self.awaiting_join == len(self.members) and not self.pending_members

    def add(self, member: ClassicMember) -> None:
        if not self.members:
            self.protocol_type = member.protocol_type
        self.members[member.member_id] = member
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        if self.leader is None:
            self.leader = member.member_id

    def remove(self, member_id: str) -> ClassicMember | None:
        member = self.members.pop(member_id, None)
        self.pending_members.discard(member_id)
        self.pending_sync.discard(member_id)
        if member is None:
            return None
        inst = member.group_instance_id
        if inst is not None and self.static_members.get(inst) == member_id:
            del self.static_members[inst]
        if self.leader == member_id:
            joined = [m for m in self.members.values() if m.join_callback is not None]
            pick = joined or list(self.members.values())
            self.leader = pick[0].member_id if pick else None
        return member

    def is_static_fenced(self, instance_id: str | None, member_id: str) -> bool:
        if instance_id is None:
            return False
        known = self.static_members.get(instance_id)
        return known is not None and known != member_id

    def candidate_protocols(self) -> set[str]:
        sets = [{name for name, _ in m.protocols} for m in self.members.values()]
        return set.intersection(*sets) if sets else set()

    def supports(self, protocol_type: str, protocols: tuple[tuple[str, bytes], ...]) -> bool:
        if not protocol_type or not protocols:
            return False
        if not self.members:
            return True
        names = {name for name, _ in protocols}
        return protocol_type == self.protocol_type and bool(names & self.candidate_protocols())

    def select_protocol(self) -> str:
        """Each member votes for its most preferred candidate; most votes wins.

        Ties go to the protocol preferred earliest by the member that joined first.
        """
        candidates = self.candidate_protocols()
        votes: dict[str, int] = {}
        for m in self.members.values():
            name = m.vote(candidates)
            votes[name] = votes.get(name, 0) + 1
        return max(votes, key=lambda n: votes[n])

    def max_rebalance_timeout(self) -> int:
        return max((m.rebalance_timeout for m in self.members.values()), default=0)

    def join_members(self) -> tuple[JoinMember, ...]:
        return tuple(
            JoinMember(m.member_id, m.group_instance_id, m.metadata(self.protocol))
            for m in self.members.values()
        )

    def subscribed_topics(self) -> set[str] | None:
        """Topics the members subscribe to (consumer protocol), None when unknown."""
        if self.protocol_type != CONSUMER_PROTOCOL or self.protocol is None:
            return None if self.members else set()
        topics: set[str] = set()
        for m in self.members.values():
            parsed = parse_subscription_topics(m.metadata(self.protocol))
            if parsed is None:
                return None
            topics.update(parsed)
        return topics

    def snapshot(self, now_ms: int, assignments: dict[str, bytes] | None = None) -> GroupValue:
        """The ``GroupMetadataValue`` of the group as it stands (with new assignments)."""
        members = tuple(
            MemberMetadata(
                m.member_id,
                m.client_id,
                m.client_host,
                m.session_timeout,
                m.rebalance_timeout,
                m.metadata(self.protocol),
                (assignments or {}).get(m.member_id, m.assignment),
                m.group_instance_id,
            )
            for m in self.members.values()
        )
        ts = self.current_state_timestamp if self.current_state_timestamp is not None else now_ms
        return GroupValue(
            self.protocol_type or "", self.generation, self.protocol, self.leader, ts, members
        )


def parse_subscription_topics(metadata: bytes) -> list[str] | None:
    """Topics of a ConsumerProtocolSubscription (any version: they lead the struct)."""
    try:
        c = Cursor(metadata)
        c.i16()
        return [c.string() for _ in range(c.array())]
    except DecodeError:
        return None
