"""ClusterReplicas: the partitions a broker replicates, driven by the controller's requests.

LeaderAndIsr makes this broker leader or follower of partitions (a follower is handed to the
:class:`ReplicaFetcher` of its leader, which truncates then fetches); StopReplica stops (and
maybe deletes) them; UpdateMetadata refreshes the :class:`MetadataCache`. On the leader, follower
fetches move the followers' log end offsets, which advance the high watermark and may expand the
ISR; a periodic check shrinks the ISR. ISR changes are written to ZooKeeper by the injected
``isr_writer`` (compare-and-set on the partition state znode, as Kafka's ZK-mode leaders do).

High watermarks are checkpointed in ``replication-offset-checkpoint`` of each data directory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from odradek.common.clock import Clock
from odradek.common.config import LogConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.replication.fetcher import FetcherConfig, ReplicaFetcher
from odradek.replication.metadata_cache import MetadataCache
from odradek.replication.partition import Partition
from odradek.replication.wire import (
    LeaderAndIsrRequest,
    LiveBroker,
    PartitionErrors,
    PartitionStateMsg,
    StopReplicaRequest,
)
from odradek.storage.checkpoint import read_offsets, write_offsets

if TYPE_CHECKING:
    from odradek.storage.log import AppendInfo, Log
    from odradek.storage.log_manager import LogManager

log = logging.getLogger(__name__)

HW_CHECKPOINT = "replication-offset-checkpoint"
TopicPartition = tuple[str, int]
# (topic, partition, leader, leader_epoch, isr, controller_epoch, zk_version) -> new version
IsrWriter = Callable[[str, int, int, int, tuple[int, ...], int, int], Awaitable[int | None]]


class ClusterReplicas:
    def __init__(
        self,
        local_id: int,
        log_manager: LogManager,
        log_config: Callable[[str], LogConfig],
        notify: Callable[[TopicPartition], None],
        isr_writer: IsrWriter,
        clock: Clock,
        lag_ms: int,
        fetch_config: FetcherConfig,
    ) -> None:
        self.local_id = local_id
        self.log_manager = log_manager
        self.log_config = log_config
        self.notify = notify
        self.isr_writer = isr_writer
        self.clock = clock
        self.lag_ms = lag_ms
        self.fetch_config = fetch_config
        self.partitions: dict[TopicPartition, Partition] = {}
        self.fetchers: dict[int, ReplicaFetcher] = {}
        self.metadata = MetadataCache()
        self.controller_epoch = -1
        self._tasks: set[asyncio.Task[None]] = set()
        # called with (partition, is_leader) when this broker starts or stops leading it
        self.leadership_listeners: list[Callable[[TopicPartition, bool], None]] = []

    # ------------------------------------------------------------------ lifecycle
    def load_high_watermarks(self) -> None:
        """Cluster mode: a log's high watermark comes from the checkpoint, not its end."""
        saved: dict[TopicPartition, int] = {}
        for d in self.log_manager.data_dirs:
            saved.update(read_offsets(d / HW_CHECKPOINT))
        for lg in self.log_manager.all_logs():
            lg.auto_high_watermark = False
            lg.update_high_watermark(saved.get((lg.topic, lg.partition), lg.log_start_offset))

    def checkpoint_high_watermarks(self) -> None:
        by_dir: dict[object, dict[TopicPartition, int]] = {}
        for lg in self.log_manager.all_logs():
            by_dir.setdefault(lg.dir.parent, {})[(lg.topic, lg.partition)] = lg.high_watermark
        for d in self.log_manager.data_dirs:
            write_offsets(d / HW_CHECKPOINT, by_dir.get(d, {}))

    async def stop(self) -> None:
        for f in list(self.fetchers.values()):
            await f.stop()
        self.fetchers.clear()
        for t in list(self._tasks):
            t.cancel()

    # ------------------------------------------------------------------ controller requests
    def leader_and_isr(self, req: LeaderAndIsrRequest) -> tuple[int, PartitionErrors]:
        if req.header.controller_epoch < self.controller_epoch:
            return int(ErrorCode.STALE_CONTROLLER_EPOCH), []
        self.controller_epoch = req.header.controller_epoch
        leaders = {b.node_id: b for b in req.live_leaders}
        errors: PartitionErrors = []
        now = self.clock.now_ms()
        for s in req.partitions:
            errors.append((s.topic, s.partition, self._apply_state(s, leaders, now)))
        return 0, errors

    def _apply_state(self, s: PartitionStateMsg, leaders: dict[int, LiveBroker], now: int) -> int:
        tp = (s.topic, s.partition)
        if self.local_id not in s.replicas:
            return int(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        part = self.partitions.get(tp)
        fresh = part is None
        if part is None:
            part = self.partitions[tp] = Partition(s.topic, s.partition, self.local_id)
        if part.is_stale(s.leader_epoch):
            return int(ErrorCode.STALE_CONTROLLER_EPOCH)
        lg = self.log_manager.get_or_create_log(s.topic, s.partition, self.log_config(s.topic))
        if fresh and s.is_new and lg.log_end_offset > 0:
            # a new partition: whatever is on disk belongs to a deleted namesake
            log.warning("%s-%d: new partition, dropping a stale local log", *tp)
            lg.truncate_fully_and_start_at(0)
        if lg.auto_high_watermark:
            lg.auto_high_watermark = False
            lg.update_high_watermark(lg.log_start_offset if s.is_new else lg.high_watermark)
        changed = part.apply(
            s.leader, s.leader_epoch, s.isr, s.replicas, s.zk_version, s.controller_epoch, now
        )
        if part.is_leader:
            if changed:
                part.epoch_start_offset = lg.log_end_offset
            self._detach(tp)
            self._maybe_advance_hw(part, lg)
            log.info("%s-%d: leader at epoch %d, isr %s", *tp, s.leader_epoch, list(s.isr))
            if changed:
                self._tell(tp, True)
        elif changed:
            self._tell(tp, False)
            self._detach(tp)
            addr = leaders.get(s.leader) or self.metadata.brokers.get(s.leader)
            if addr is not None:
                self._fetcher(s.leader, (addr.host, addr.port)).add(tp, s.leader_epoch)
            log.info("%s-%d: follower of %d at epoch %d", *tp, s.leader, s.leader_epoch)
        self.notify(tp)
        return 0

    def _tell(self, tp: TopicPartition, leader: bool) -> None:
        for listener in self.leadership_listeners:
            try:
                listener(tp, leader)
            except Exception:
                log.exception("%s-%d: leadership listener failed", *tp)

    def _detach(self, tp: TopicPartition) -> None:
        for f in self.fetchers.values():
            f.remove(tp)

    def _fetcher(self, leader: int, addr: tuple[str, int]) -> ReplicaFetcher:
        f = self.fetchers.get(leader)
        if f is not None and f.addr != addr:
            self._spawn(f.stop())
            f = None
        if f is None:
            f = self.fetchers[leader] = ReplicaFetcher(self, leader, addr, self.fetch_config)
            f.start()
        return f

    def stop_replica(self, req: StopReplicaRequest) -> tuple[int, PartitionErrors]:
        if req.header.controller_epoch < self.controller_epoch:
            return int(ErrorCode.STALE_CONTROLLER_EPOCH), []
        errors: PartitionErrors = []
        for topic, p in req.partitions:
            tp = (topic, p)
            self._detach(tp)
            if self.partitions.pop(tp, None) is not None:
                self._tell(tp, False)
            if req.delete:
                self.log_manager.delete_log(topic, p)
            self.notify(tp)
            errors.append((topic, p, 0))
        return 0, errors

    # ------------------------------------------------------------------ fetcher host
    def follower_log(self, tp: TopicPartition, leader_epoch: int) -> Log | None:
        part = self.partitions.get(tp)
        if part is None or part.is_leader or part.leader_epoch != leader_epoch:
            return None
        return self.log_manager.get_log(*tp)

    def on_follower_progress(self, tp: TopicPartition) -> None:
        self.notify(tp)

    # ------------------------------------------------------------------ leader side
    def leader(self, topic: str, partition: int) -> tuple[Partition, Log]:
        part = self.partitions.get((topic, partition))
        lg = self.log_manager.get_log(topic, partition)
        if part is None or lg is None:
            if self.metadata.partition(topic, partition) is not None:
                raise KafkaError(
                    ErrorCode.NOT_LEADER_OR_FOLLOWER, f"not leader of {topic}-{partition}"
                )
            raise KafkaError(
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                f"This server does not host this topic-partition: {topic}-{partition}",
            )
        if not part.is_leader:
            raise KafkaError(
                ErrorCode.NOT_LEADER_OR_FOLLOWER,
                f"broker {self.local_id} is not the leader of {topic}-{partition}",
            )
        return part, lg

    def check_min_isr(self, part: Partition, lg: Log) -> None:
        if len(part.isr) < lg.config.min_insync_replicas:
            raise KafkaError(
                ErrorCode.NOT_ENOUGH_REPLICAS,
                f"The size of the current ISR {list(part.isr)} is insufficient to satisfy the "
                f"min.isr requirement of {lg.config.min_insync_replicas} for partition "
                f"{part.topic}-{part.index}",
            )

    def append(
        self,
        topic: str,
        partition: int,
        records: memoryview,
        now_ms: int,
        acks: int,
        *,
        from_client: bool = True,
    ) -> AppendInfo:
        part, lg = self.leader(topic, partition)
        if acks == -1:
            self.check_min_isr(part, lg)
        info = lg.append_as_leader(records, now_ms, part.leader_epoch, from_client=from_client)
        self._maybe_advance_hw(part, lg)
        self.notify(part.tp)
        return info

    async def wait_committed(
        self,
        topic: str,
        partition: int,
        offset: int,
        timeout_s: float,
        purgatory_wait: Callable[[list[TopicPartition], float], Awaitable[bool]],
    ) -> int:
        """Wait until the high watermark passes ``offset``; the error code (0 when committed)."""
        tp = (topic, partition)
        part0 = self.partitions.get(tp)
        epoch = part0.leader_epoch if part0 else -1
        deadline = self.clock.monotonic() + timeout_s
        while True:
            part = self.partitions.get(tp)
            lg = self.log_manager.get_log(topic, partition)
            if part is None or lg is None or not part.is_leader or part.leader_epoch != epoch:
                return int(ErrorCode.NOT_LEADER_OR_FOLLOWER)
            if lg.high_watermark > offset:
                if len(part.isr) < lg.config.min_insync_replicas:
                    # committed by a shrunken ISR: Kafka's DelayedProduce reports it
                    return int(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND)
                return 0
            left = deadline - self.clock.monotonic()
            if left <= 0:
                return int(ErrorCode.REQUEST_TIMED_OUT)
            await purgatory_wait([tp], left)

    def on_follower_fetch(self, topic: str, partition: int, replica: int, offset: int) -> None:
        part, lg = self.leader(topic, partition)
        now = self.clock.now_ms()
        part.on_follower_fetch(replica, offset, lg.log_end_offset, now)
        new_isr = part.isr_to_expand(lg.high_watermark)
        if new_isr is not None:
            self._change_isr(part, new_isr)
        self._maybe_advance_hw(part, lg)

    def _maybe_advance_hw(self, part: Partition, lg: Log) -> None:
        hw = part.high_watermark(lg.log_end_offset, lg.high_watermark)
        if hw > lg.high_watermark:
            lg.update_high_watermark(hw)
            self.notify(part.tp)

    def shrink_isr(self) -> None:
        now = self.clock.now_ms()
        for part in list(self.partitions.values()):
            new_isr = part.isr_to_shrink(now, self.lag_ms)
            if new_isr is not None:
                self._change_isr(part, new_isr)

    def _change_isr(self, part: Partition, new_isr: tuple[int, ...]) -> None:
        part.pending_isr = new_isr
        self._spawn(self._write_isr(part, new_isr))

    async def _write_isr(self, part: Partition, new_isr: tuple[int, ...]) -> None:
        epoch = part.leader_epoch
        try:
            version = await self.isr_writer(
                part.topic, part.index, part.leader, epoch, new_isr,
                part.controller_epoch, part.zk_version,
            )  # fmt: skip
        except Exception:
            log.exception("%s-%d: ISR update failed", part.topic, part.index)
            version = None
        if part.leader_epoch != epoch or part.pending_isr != new_isr:
            return
        part.pending_isr = None
        if version is None:
            log.info("%s-%d: ISR change to %s lost to the controller", *part.tp, list(new_isr))
            return
        log.info("%s-%d: ISR %s -> %s", part.topic, part.index, list(part.isr), list(new_isr))
        part.isr, part.zk_version = new_isr, version
        lg = self.log_manager.get_log(*part.tp)
        if lg is not None:
            self._maybe_advance_hw(part, lg)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
