"""A group coordinator on a virtual clock with an in-memory ``__consumer_offsets`` partition."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from odradek.common.clock import ManualClock
from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import (
    JoinGroupRequest,
    JoinGroupResponse,
    LeavingMember,
    OffsetCommitRequest,
    SyncGroupRequest,
    SyncGroupResponse,
    TopicPartitionOffset,
)
from odradek.coordinator.group.config import GroupConfig
from odradek.coordinator.group.service import GroupCoordinator
from odradek.coordinator.runtime import InMemoryPartition


def subscription(*topics: str) -> bytes:
    """A ConsumerProtocolSubscription v0: topics then null user data."""
    out = struct.pack(">hi", 0, len(topics))
    for t in topics:
        out += struct.pack(">h", len(t)) + t.encode()
    return out + struct.pack(">i", -1)


@dataclass
class Box:
    """Collects the responses a callback receives."""

    items: list[Any] = field(default_factory=list)

    def __call__(self, value: Any) -> None:
        self.items.append(value)

    @property
    def value(self) -> Any:
        assert len(self.items) == 1, self.items
        return self.items[0]

    @property
    def done(self) -> bool:
        return bool(self.items)


class Harness:
    def __init__(self, **overrides: Any) -> None:
        settings: dict[str, Any] = {
            "offsets_topic_num_partitions": 1,
            "group_initial_rebalance_delay_ms": 0,
            "group_min_session_timeout_ms": 1000,
        }
        settings.update(overrides)
        self.config = GroupConfig(**settings)
        self.clock = ManualClock()
        self.partition = InMemoryPartition()
        self.coord = GroupCoordinator(self.config, self.clock)
        self.coord.load(0, self.partition, self.partition)

    def reload(self) -> GroupCoordinator:
        """A fresh coordinator that loads the same partition (a broker restart)."""
        coord = GroupCoordinator(self.config, self.clock)
        coord.load(0, self.partition, self.partition)
        return coord

    def advance(self, ms: int) -> None:
        self.clock.advance(ms)
        self.coord.tick()

    def join(
        self,
        group: str = "g",
        member_id: str = "",
        *,
        instance: str | None = None,
        protocols: tuple[tuple[str, bytes], ...] = (("range", b"meta"),),
        session: int = 10_000,
        rebalance: int = 30_000,
        version: int = 9,
        protocol_type: str = "consumer",
    ) -> Box:
        box = Box()
        req = JoinGroupRequest(
            group,
            member_id,
            session,
            rebalance,
            protocol_type,
            protocols,
            instance,
            client_id="cli",
            client_host="/127.0.0.1",
            version=version,
        )
        self.coord.join_group(req, box)
        return box

    def join_new(self, group: str = "g", **kw: Any) -> tuple[str, Box]:
        """KIP-394 handshake: MEMBER_ID_REQUIRED, then the join with the given id."""
        first = self.join(group, **kw).value
        assert first.error == ErrorCode.MEMBER_ID_REQUIRED
        return first.member_id, self.join(group, first.member_id, **kw)

    def sync(
        self,
        member_id: str,
        generation: int,
        assignments: dict[str, bytes] | None = None,
        group: str = "g",
        instance: str | None = None,
    ) -> Box:
        box = Box()
        req = SyncGroupRequest(
            group, generation, member_id, tuple((assignments or {}).items()), instance
        )
        self.coord.sync_group(req, box)
        return box

    def heartbeat(
        self, member_id: str, generation: int, group: str = "g", instance: str | None = None
    ) -> ErrorCode:
        box = Box()
        self.coord.heartbeat(group, member_id, generation, instance, box)
        code: ErrorCode = box.value
        return code

    def leave(self, *members: LeavingMember, group: str = "g") -> list[ErrorCode]:
        box = Box()
        self.coord.leave_group(group, list(members), lambda top, errs: box((top, errs)))
        errors: list[ErrorCode] = box.value[1]
        return errors

    def commit(
        self,
        member_id: str,
        generation: int,
        offsets: dict[tuple[str, int], int],
        group: str = "g",
        retention: int = -1,
    ) -> dict[tuple[str, int], ErrorCode]:
        box = Box()
        req = OffsetCommitRequest(
            group,
            generation,
            member_id,
            tuple(TopicPartitionOffset(t, p, o, metadata="m") for (t, p), o in offsets.items()),
            retention_time_ms=retention,
        )
        self.coord.commit_offsets(req, box)
        return {(t, p): e for t, p, e in box.value}

    def committed(
        self, group: str = "g", coord: GroupCoordinator | None = None
    ) -> dict[tuple[str, int], int]:
        fetched = (coord or self.coord).fetch_offsets(group, None)
        return {(f.topic, f.partition): f.offset for f in fetched}


def stable_pair(h: Harness) -> tuple[str, str, int]:
    """Two members of group "g" in a Stable generation; returns (leader, follower, generation)."""
    a, ja = h.join_new()
    ra: JoinGroupResponse = ja.value
    h.sync(a, ra.generation_id, {a: b"A"})
    b, jb = h.join_new()
    assert not jb.done
    assert h.heartbeat(a, ra.generation_id) == ErrorCode.REBALANCE_IN_PROGRESS
    ja2 = h.join(member_id=a)
    r2a, r2b = ja2.value, jb.value
    gen = r2a.generation_id
    leader = r2a.leader
    follower = b if leader == a else a
    sf = h.sync(follower, gen)
    sl = h.sync(leader, gen, {leader: b"L", follower: b"F"})
    assert sl.value == SyncGroupResponse(ErrorCode.NONE, b"L", "consumer", "range")
    assert sf.value.assignment == b"F"
    assert r2b.generation_id == gen
    return leader, follower, gen
