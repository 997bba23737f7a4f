"""Runs the group coordinator inside a broker: the ``__consumer_offsets`` topic and the deadlines.

The broker attaches one :class:`GroupCoordinatorDriver` (``broker.groups``) as a service. The topic
is created on first use (FindCoordinator or any group API), as Kafka does, compacted, with
``offsets.topic.num.partitions`` partitions; a single broker leads all of them, so each is loaded
(replayed) here. In cluster mode a partition is loaded when this broker becomes its leader and
written as leader with acks=-1 (answers wait for the high watermark, ``offsets.commit.timeout.ms``).
A task fires the coordinator's deadlines at the earliest one (woken early when a request may have
set an earlier one).

The broker is reached through the small protocols below, never imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from odradek.common.clock import Clock
from odradek.common.config import BrokerConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.group.config import GroupConfig
from odradek.coordinator.group.service import GroupCoordinator
from odradek.coordinator.log_partition import LogPartition
from odradek.coordinator.replicated_partition import ReplicatedPartition, config_ms

log = logging.getLogger(__name__)

OFFSETS_TOPIC = "__consumer_offsets"
_MAX_SLEEP_S = 0.5


class _Topics(Protocol):
    def get(self, name: str) -> Any: ...

    def create(
        self,
        name: str,
        partitions: int = -1,
        replication_factor: int = -1,
        configs: dict[str, str] | None = None,
        validate_only: bool = False,
    ) -> Any: ...


class BrokerServices(Protocol):
    """What the driver uses of the broker."""

    config: BrokerConfig
    clock: Clock
    topics: Any
    log_manager: Any

    def live_brokers(self) -> list[Any]: ...


class BrokerTopicsView:
    """The coordinator's :class:`~odradek.coordinator.group.consumer.TopicsView` over the broker."""

    def __init__(self, topics: _Topics, names: Callable[[], list[str]]) -> None:
        self._topics = topics
        self._names = names

    def topic_id(self, name: str) -> uuid.UUID | None:
        info = self._topics.get(name)
        return None if info is None else info.topic_id

    def partition_count(self, name: str) -> int:
        info = self._topics.get(name)
        return 0 if info is None else int(info.partitions)

    def topic_names(self) -> list[str]:
        return [n for n in self._names() if not n.startswith("__")]


class GroupCoordinatorDriver:
    def __init__(self, broker: BrokerServices) -> None:
        self.broker = broker
        self.config = GroupConfig.from_broker(broker.config)
        topics = BrokerTopicsView(broker.topics, lambda: list(broker.topics.store.topics()))
        self.coordinator = GroupCoordinator(self.config, broker.clock, topics)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loaded = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self.broker.topics.get(OFFSETS_TOPIC) is not None:
            self.ensure_loaded()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def ensure_loaded(self) -> None:
        """Create ``__consumer_offsets`` if needed and load every partition of it."""
        if self._loaded:
            return
        n = self.config.offsets_topic_num_partitions
        segment = self.broker.config.get_int("offsets.topic.segment.bytes")
        self.broker.topics.ensure_internal(
            OFFSETS_TOPIC,
            n,
            self.broker.config.get_int("offsets.topic.replication.factor"),
            {"cleanup.policy": "compact", "segment.bytes": str(segment)},
        )
        if getattr(self.broker, "cluster", None) is not None:
            # cluster mode: a partition loads when this broker becomes its leader
            self._loaded = True
            return
        for p in range(n):
            lg = self.broker.log_manager.get_log(OFFSETS_TOPIC, p)
            if lg is None:
                raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, "offsets topic missing")
            part = LogPartition(lg, self._notifier(p))
            count = self.coordinator.load(p, part, part)
            if count:
                log.info("loaded %d records from %s-%d", count, OFFSETS_TOPIC, p)
        self._loaded = True
        self.wake()

    def on_leadership(self, partition: int, leader: bool) -> None:
        """Cluster mode: coordinate the groups of ``partition`` while leading it (replayed from
        the local log on election), stop when another broker leads it."""
        if not leader:
            self.coordinator.unload(partition)
            return
        lg = self.broker.log_manager.get_log(OFFSETS_TOPIC, partition)
        if lg is None or self.coordinator.is_loaded(partition):
            return
        broker: Any = self.broker
        part = ReplicatedPartition(
            broker.cluster.replicas,
            OFFSETS_TOPIC,
            partition,
            broker.purgatory.wait,
            config_ms(self.broker.config, "offsets.commit.timeout.ms", 5000),
        )
        count = self.coordinator.load(partition, part, part)
        log.info("coordinating %s-%d (%d records replayed)", OFFSETS_TOPIC, partition, count)
        self.wake()

    def _notifier(self, partition: int) -> Callable[[], None]:
        purgatory = getattr(self.broker, "purgatory", None)

        def notify() -> None:
            if purgatory is not None:
                purgatory.notify((OFFSETS_TOPIC, partition))

        return notify

    def wake(self) -> None:
        """A request may have set an earlier deadline: re-plan the sleep."""
        self._wake.set()

    # ------------------------------------------------------------------ deadlines

    async def _run(self) -> None:
        while True:
            deadline = self.coordinator.next_deadline_ms()
            now = self.broker.clock.now_ms()
            sleep_s = _MAX_SLEEP_S if deadline is None else max(0.0, (deadline - now) / 1000)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(sleep_s, _MAX_SLEEP_S))
            try:
                self.coordinator.tick()
            except Exception:
                log.exception("group coordinator deadline processing failed")
