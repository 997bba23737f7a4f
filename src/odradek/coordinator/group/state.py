"""One ``__consumer_offsets`` partition's groups, and ``replay``: the only mutator of durable state.

``replay`` applies, live and on load, the records described in
:mod:`odradek.coordinator.group.records`: offset commits (and their tombstones), classic group
snapshots, and the KIP-848 consumer group records. Anything a replay does not set is volatile
state, rebuilt after load by :meth:`GroupShardState.after_load` (deadlines of members).

Transactional offset commits (TxnOffsetCommit) are offset records in a transactional batch of
the producer: ``replay_txn`` keeps them pending per producer id, and the transaction's marker
in this partition (``replay_marker``) makes them committed (COMMIT) or drops them (ABORT), as
Kafka's ``GroupMetadata`` does; a pending offset older (by log offset) than a committed one of
the same partition does not replace it.
"""

from __future__ import annotations

import logging

from odradek.coordinator.group import consumer_state
from odradek.coordinator.group.classic import ClassicGroup, ClassicMember, GroupState
from odradek.coordinator.group.config import GroupConfig
from odradek.coordinator.group.consumer_state import ConsumerGroup
from odradek.coordinator.group.records import (
    CONSUMER_GROUP_METADATA,
    GroupKey,
    MemberKey,
    OffsetKey,
    OffsetValue,
    decode_group_value,
    decode_key,
    decode_offset_value,
)
from odradek.coordinator.runtime import CoordinatorResult, Timers
from odradek.protocol.primitives import DecodeError

log = logging.getLogger(__name__)

Group = ClassicGroup | ConsumerGroup


class GroupShardState:
    """The groups whose coordinator lives on one partition, plus their deadlines."""

    def __init__(self, partition: int, config: GroupConfig) -> None:
        self.partition = partition
        self.config = config
        self.groups: dict[str, Group] = {}
        self.timers = Timers()
        self.followups: list[CoordinatorResult] = []
        # producer id -> group -> partition -> (log offset, value): transactional commits
        self.pending_txn: dict[int, dict[str, dict[tuple[str, int], tuple[int, OffsetValue]]]] = {}
        self._offset_at: dict[tuple[str, str, int], int] = {}

    def run_later(self, result: CoordinatorResult) -> None:
        """Queue a follow-up write decided inside a completion (run right after it)."""
        self.followups.append(result)

    def classic(self, group_id: str) -> ClassicGroup | None:
        g = self.groups.get(group_id)
        return g if isinstance(g, ClassicGroup) else None

    def consumer(self, group_id: str) -> ConsumerGroup | None:
        g = self.groups.get(group_id)
        return g if isinstance(g, ConsumerGroup) else None

    # ------------------------------------------------------------------ replay

    def replay(self, offset: int, key: bytes | None, value: bytes | None) -> None:
        """Apply one record; a record that does not decode is skipped (and logged)."""
        if key is None:
            return
        try:
            self._replay(offset, key, value)
        except DecodeError as exc:
            log.warning("skipping malformed record at offset %d: %s", offset, exc)

    def replay_txn(
        self, offset: int, producer_id: int, key: bytes | None, value: bytes | None
    ) -> None:
        """An offset commit of an open transaction: pending until its marker."""
        if key is None or value is None:
            return
        try:
            k = decode_key(key)
            if not isinstance(k, OffsetKey):
                return
            decoded = decode_offset_value(value)
        except DecodeError as exc:
            log.warning("skipping malformed transactional record at %d: %s", offset, exc)
            return
        groups = self.pending_txn.setdefault(producer_id, {})
        groups.setdefault(k.group, {})[(k.topic, k.partition)] = (offset, decoded)

    def replay_marker(self, offset: int, producer_id: int, commit: bool) -> None:
        """The producer's transaction ended: materialize (COMMIT) or drop its offsets."""
        groups = self.pending_txn.pop(producer_id, None)
        if not groups or not commit:
            return
        for group_id, parts in groups.items():
            group = self.groups.get(group_id)
            if group is None:
                group = self.groups[group_id] = ClassicGroup(group_id)
            for (topic, part), (at, v) in parts.items():
                if self._offset_at.get((group_id, topic, part), -1) > at:
                    continue  # a later non-transactional commit wins
                group.offsets[(topic, part)] = v
                self._offset_at[(group_id, topic, part)] = at

    def pending_partitions(self, group_id: str) -> set[tuple[str, int]]:
        """Partitions of ``group_id`` with a transactional commit not yet decided (KIP-447)."""
        out: set[tuple[str, int]] = set()
        for groups in self.pending_txn.values():
            out.update(groups.get(group_id, {}))
        return out

    def _replay(self, offset: int, key: bytes, value: bytes | None) -> None:
        k = decode_key(key)
        if isinstance(k, OffsetKey):
            self._replay_offset(offset, k, value)
        elif isinstance(k, GroupKey) and k.version == 2:
            self._replay_group(k.group, value)
        elif isinstance(k, GroupKey | MemberKey):
            group = self.groups.get(k.group)
            if value is None and isinstance(k, GroupKey) and k.version == CONSUMER_GROUP_METADATA:
                if isinstance(group, ConsumerGroup):
                    del self.groups[k.group]
                return
            if not isinstance(group, ConsumerGroup):
                if value is None:
                    return
                group = ConsumerGroup(k.group)
                self.groups[k.group] = group
            consumer_state.replay(group, k, value)

    def _replay_offset(self, offset: int, k: OffsetKey, value: bytes | None) -> None:
        group = self.groups.get(k.group)
        self._offset_at[(k.group, k.topic, k.partition)] = offset
        if value is None:
            if group is not None:
                group.offsets.pop((k.topic, k.partition), None)
            return
        decoded = decode_offset_value(value)
        if group is None:
            group = self.groups[k.group] = ClassicGroup(k.group)
        group.offsets[(k.topic, k.partition)] = decoded

    def _replay_group(self, group_id: str, value: bytes | None) -> None:
        group = self.groups.get(group_id)
        if value is None:
            if isinstance(group, ClassicGroup):
                group.state = GroupState.DEAD
                del self.groups[group_id]
            return
        gv = decode_group_value(value)
        if not isinstance(group, ClassicGroup):
            offsets = group.offsets if group is not None else {}
            group = self.groups[group_id] = ClassicGroup(group_id, offsets=offsets)
        group.protocol_type = gv.protocol_type or None
        group.generation = gv.generation
        group.protocol = gv.protocol
        group.current_state_timestamp = (
            gv.current_state_timestamp if gv.current_state_timestamp >= 0 else None
        )
        keep = {mm.member_id for mm in gv.members}
        for member_id in [m for m in group.members if m not in keep]:
            group.remove(member_id)
        for mm in gv.members:
            member = group.members.get(mm.member_id)
            if member is None:
                member = ClassicMember(
                    mm.member_id,
                    mm.group_instance_id,
                    mm.client_id,
                    mm.client_host,
                    mm.session_timeout,
                    mm.rebalance_timeout,
                    gv.protocol_type,
                    ((gv.protocol or "", mm.subscription),),
                )
                group.add(member)
            member.assignment = mm.assignment
        group.leader = gv.leader if gv.leader in group.members else group.leader
        if not gv.members:
            group.state = GroupState.EMPTY
        elif group.state in (GroupState.EMPTY, GroupState.COMPLETING_REBALANCE):
            group.state = GroupState.STABLE

    # ------------------------------------------------------------------ after load

    def after_load(self, now_ms: int) -> None:
        """Arm the deadlines of every loaded member, as if it had just heartbeated."""
        for group in self.groups.values():
            if isinstance(group, ClassicGroup):
                for m in group.members.values():
                    self.timers.schedule(
                        ("hb", group.group_id, m.member_id), now_ms + m.session_timeout
                    )
            else:
                for member_id in group.members:
                    self.timers.schedule(
                        ("session", group.group_id, member_id),
                        now_ms + self.config.consumer_session_timeout_ms,
                    )
        self.timers.schedule(("expire",), now_ms + self.config.offsets_retention_check_interval_ms)
