"""The group coordinator service: the ``__consumer_offsets`` partitions this broker leads.

Each loaded partition is a :class:`~odradek.coordinator.runtime.CoordinatorShard` over a
:class:`~odradek.coordinator.group.state.GroupShardState`. Requests are routed by the group's
partition (Kafka's ``abs(hashCode) % offsets.topic.num.partitions``); a group whose partition is
not loaded here gets NOT_COORDINATOR. Time comes from the injected clock; the owner calls
:meth:`GroupCoordinator.tick` at :meth:`next_deadline_ms` (or periodically) to fire session,
rebalance and retention deadlines.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

from odradek.common.clock import Clock
from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.group import admin, consumer, join, membership, offsets, rebalance
from odradek.coordinator.group.api import (
    ConsumerGroupDescription,
    ConsumerHeartbeatRequest,
    ConsumerHeartbeatResponse,
    DescribedGroup,
    FetchedOffset,
    JoinCallback,
    JoinGroupRequest,
    LeavingMember,
    ListedGroup,
    OffsetCommitRequest,
    SyncCallback,
    SyncGroupRequest,
)
from odradek.coordinator.group.config import GroupConfig, partition_for
from odradek.coordinator.group.reconcile import TopicsView
from odradek.coordinator.group.records import OffsetKey, OffsetValue
from odradek.coordinator.group.state import GroupShardState
from odradek.coordinator.runtime import (
    CoordinatorResult,
    CoordinatorShard,
    PartitionReader,
    PartitionWriter,
    Record,
)

__all__ = ["GroupCoordinator", "TopicsView"]


class _NoTopics:
    """No topics at all: KIP-848 members then get empty assignments."""

    def topic_id(self, name: str) -> None:
        return None

    def partition_count(self, name: str) -> int:
        return 0

    def topic_names(self) -> list[str]:
        return []


class GroupCoordinator:
    def __init__(self, config: GroupConfig, clock: Clock, topics: TopicsView | None = None) -> None:
        self.config = config
        self.clock = clock
        self.topics: TopicsView = topics if topics is not None else _NoTopics()
        self._shards: dict[int, tuple[CoordinatorShard, GroupShardState]] = {}

    # ------------------------------------------------------------------ partitions

    def partition_for(self, group_id: str) -> int:
        return partition_for(group_id, self.config.offsets_topic_num_partitions)

    def load(self, partition: int, writer: PartitionWriter, reader: PartitionReader) -> int:
        """Become the coordinator of ``partition``: replay it, arm the member deadlines."""
        state = GroupShardState(partition, self.config)
        shard = CoordinatorShard(partition, state, writer)
        count = shard.load(reader)
        state.after_load(self.clock.now_ms())
        self._shards[partition] = (shard, state)
        return count

    def unload(self, partition: int) -> None:
        self._shards.pop(partition, None)

    def is_loaded(self, partition: int) -> bool:
        return partition in self._shards

    def state_of(self, partition: int) -> GroupShardState | None:
        entry = self._shards.get(partition)
        return None if entry is None else entry[1]

    def _shard(self, group_id: str) -> tuple[CoordinatorShard, GroupShardState]:
        entry = self._shards.get(self.partition_for(group_id))
        if entry is None:
            raise KafkaError(ErrorCode.NOT_COORDINATOR, f"not the coordinator of {group_id}")
        return entry

    def _run(self, shard: CoordinatorShard, state: GroupShardState, res: CoordinatorResult) -> None:
        now = self.clock.now_ms()
        shard.run(res, now)
        for _ in range(100):
            if not state.followups:
                break
            follow = state.followups.pop(0)
            shard.run(follow, now)

    def _write(
        self, group_id: str, op: Callable[[GroupShardState, int], CoordinatorResult]
    ) -> None:
        shard, state = self._shard(group_id)
        self._run(shard, state, op(state, self.clock.now_ms()))

    # ------------------------------------------------------------------ classic protocol

    def join_group(self, req: JoinGroupRequest, respond: JoinCallback) -> None:
        self._write(req.group_id, lambda st, now: join.join_group(st, req, now, respond))

    def sync_group(self, req: SyncGroupRequest, respond: SyncCallback) -> None:
        self._write(req.group_id, lambda st, now: membership.sync_group(st, req, now, respond))

    def heartbeat(
        self,
        group_id: str,
        member_id: str,
        generation: int,
        instance_id: str | None,
        respond: Callable[[ErrorCode], None],
    ) -> None:
        self._write(
            group_id,
            lambda st, now: membership.heartbeat(
                st, group_id, member_id, generation, instance_id, now, respond
            ),
        )

    def leave_group(
        self,
        group_id: str,
        members: list[LeavingMember],
        respond: Callable[[ErrorCode, list[ErrorCode]], None],
    ) -> None:
        self._write(
            group_id, lambda st, now: membership.leave_group(st, group_id, members, now, respond)
        )

    # ------------------------------------------------------------------ offsets and admin

    def commit_offsets(
        self, req: OffsetCommitRequest, respond: Callable[[offsets.PartitionErrors], None]
    ) -> None:
        self._write(req.group_id, lambda st, now: offsets.commit_offsets(st, req, now, respond))

    def fetch_offsets(
        self,
        group_id: str,
        partitions: list[tuple[str, int]] | None,
        require_stable: bool = False,
    ) -> list[FetchedOffset]:
        """Committed offsets; with ``require_stable`` (KIP-447), partitions with a transactional
        commit still pending get UNSTABLE_OFFSET_COMMIT."""
        _, state = self._shard(group_id)
        fetched = offsets.fetch_offsets(state, group_id, partitions)
        if not require_stable:
            return fetched
        unstable = state.pending_partitions(group_id)
        if not unstable:
            return fetched
        return [
            FetchedOffset(f.topic, f.partition, error=ErrorCode.UNSTABLE_OFFSET_COMMIT)
            if (f.topic, f.partition) in unstable
            else f
            for f in fetched
        ]

    def txn_commit_offsets(
        self,
        req: OffsetCommitRequest,
        producer: tuple[int, int],
        respond: Callable[[offsets.PartitionErrors], None],
    ) -> None:
        """TxnOffsetCommit: pending offsets in ``producer``'s transaction (see ``state``)."""
        self._write(
            req.group_id,
            lambda st, now: offsets.txn_commit_offsets(st, req, producer, now, respond),
        )

    def on_marker(self, partition: int, offset: int, producer_id: int, commit: bool) -> None:
        """A transaction marker was appended to ``partition`` (WriteTxnMarkers on its leader)."""
        entry = self._shards.get(partition)
        if entry is not None:
            entry[1].replay_marker(offset, producer_id, commit)

    def write_offsets(
        self, group_id: str, committed: Mapping[tuple[str, int], OffsetValue]
    ) -> None:
        """Make offsets durable without member checks (a transaction's COMMIT marker does
        this for its TxnOffsetCommit offsets). Raises KafkaError if the append fails."""
        records: list[Record] = [
            (OffsetKey(group_id, t, p).encode(), v.encode())
            for (t, p), v in sorted(committed.items())
        ]
        failed: list[ErrorCode] = []
        res = CoordinatorResult(records).then(lambda e: failed.append(e) if e else None)
        self._write(group_id, lambda _st, _now: res)
        if failed:
            raise KafkaError(failed[0], f"writing offsets of {group_id} failed")

    def delete_offsets(
        self,
        group_id: str,
        partitions: list[tuple[str, int]],
        respond: Callable[[ErrorCode, offsets.PartitionErrors], None],
    ) -> None:
        self._write(
            group_id, lambda st, now: offsets.delete_offsets(st, group_id, partitions, respond)
        )

    def describe_group(self, group_id: str) -> DescribedGroup:
        _, state = self._shard(group_id)
        return admin.describe_group(state, group_id)

    def list_groups(
        self, states: set[str] | None = None, types: set[str] | None = None
    ) -> list[ListedGroup]:
        out: list[ListedGroup] = []
        for _, state in self._shards.values():
            out.extend(admin.list_groups(state, states, types))
        return out

    def delete_group(
        self, group_id: str, respond: Callable[[ErrorCode], None] | None = None
    ) -> ErrorCode:
        """DeleteGroups for one group id (the handler loops over the batch). With ``respond``
        the answer comes through it once the tombstones are committed (cluster mode: later);
        without, the code is returned (UNKNOWN_SERVER_ERROR if not answered yet)."""
        result: list[ErrorCode] = [ErrorCode.UNKNOWN_SERVER_ERROR]

        def answered(errors: list[ErrorCode]) -> None:
            result[0] = errors[0]
            if respond is not None:
                respond(errors[0])

        self._write(group_id, lambda st, now: admin.delete_groups(st, [group_id], answered))
        return result[0]

    # ------------------------------------------------------------------ KIP-848

    def consumer_group_heartbeat(
        self, req: ConsumerHeartbeatRequest, respond: Callable[[ConsumerHeartbeatResponse], None]
    ) -> None:
        self._write(
            req.group_id,
            lambda st, now: consumer.heartbeat(st, self.topics, req, now, respond),
        )

    def consumer_group_describe(self, group_id: str) -> ConsumerGroupDescription:
        _, state = self._shard(group_id)
        return consumer.describe(state, group_id)

    # ------------------------------------------------------------------ deadlines

    def next_deadline_ms(self) -> int | None:
        deadlines = [d for _, st in self._shards.values() if (d := st.timers.next_deadline())]
        return min(deadlines, default=None)

    def tick(self) -> int:
        """Fire every due deadline; return how many fired."""
        now = self.clock.now_ms()
        fired = 0
        for shard, state in list(self._shards.values()):
            for key in state.timers.due(now):
                fired += 1
                self._run(shard, state, self._on_deadline(state, key, now))
        return fired

    def _on_deadline(self, st: GroupShardState, key: Hashable, now: int) -> CoordinatorResult:
        assert isinstance(key, tuple)
        kind = key[0]
        if kind == "expire":
            st.timers.schedule(("expire",), now + self.config.offsets_retention_check_interval_ms)
            return offsets.expire_offsets(st, now)
        if kind in ("session", "rebalance"):
            return consumer.on_deadline(st, self.topics, key, now)
        g = st.classic(key[1])
        if g is None:
            return CoordinatorResult()
        if kind == "hb":
            return rebalance.on_heartbeat_deadline(st, g, key[2], now)
        if kind == "join":
            return rebalance.on_join_deadline(st, g, now)
        if kind == "sync":
            return rebalance.on_sync_deadline(st, g, now)
        return CoordinatorResult()
