"""The broker: the services one broker process runs, and their lifecycle.

``Broker`` owns the log manager, the topic store, partition routing, the fetch purgatory and the
coordinators. Handlers reach everything through ``ctx.broker``. Extra services (coordinators) are
attached as attributes and started/stopped through :meth:`Broker.add_service`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from odradek.broker.api import ApiSpec
from odradek.broker.cluster import ClusterServices
from odradek.broker.fetch_sessions import FetchSessionCache
from odradek.broker.producer_ids import ProducerIdManager
from odradek.broker.purgatory import FetchPurgatory
from odradek.broker.replica_manager import ReplicaManager
from odradek.broker.topics import TopicService
from odradek.common.clock import Clock, SystemClock
from odradek.common.config import BrokerConfig, LogConfig
from odradek.controller.metadata_store import FileTopicStore, TopicStore
from odradek.coordinator.group.driver import GroupCoordinatorDriver
from odradek.coordinator.txn.driver import TxnCoordinatorDriver
from odradek.storage.log_cleaner import LogCleaner
from odradek.storage.log_manager import LogManager

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BrokerEndpoint:
    node_id: int
    host: str
    port: int
    rack: str | None = None


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Broker:
    def __init__(self, config: BrokerConfig, data_dir: Path, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.node_id = config.broker_id
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.cluster: ClusterServices | None = None
        self.store: TopicStore
        if config.get_str("zookeeper.connect"):
            self.cluster = ClusterServices(self)
            self.store = self.cluster.store
        else:
            self.store = FileTopicStore(data_dir)
        self.topics = TopicService(self)
        default = LogConfig.from_props(self.topics.effective_props(None))
        self.log_manager = LogManager([data_dir], default, self.clock)
        if self.cluster is not None:
            self.cluster.attach()
        self.log_cleaner = LogCleaner.from_config(self.log_manager, config)
        self.replicas = ReplicaManager(self)
        self.purgatory = FetchPurgatory()
        self.producer_ids = ProducerIdManager(self.store)
        self.fetch_sessions = FetchSessionCache(
            config.get_int("max.incremental.fetch.session.cache.slots")
        )
        self.endpoint = BrokerEndpoint(
            self.node_id, "127.0.0.1", 9092, config.get_str("broker.rack")
        )
        self.services: list[Service] = []
        self.api_specs: list[ApiSpec] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.groups = GroupCoordinatorDriver(self)
        self.add_service(self.groups)
        self.transactions = TxnCoordinatorDriver(self)
        self.add_service(self.transactions)

    @property
    def cluster_id(self) -> str:
        return self.store.cluster_id

    def live_brokers(self) -> list[BrokerEndpoint]:
        if self.cluster is not None:
            return self.cluster.live_brokers()
        return [self.endpoint]

    def controller_id(self) -> int:
        if self.cluster is not None:
            return self.cluster.controller_id()
        return self.node_id

    def add_service(self, service: Service) -> None:
        self.services.append(service)

    # ------------------------------------------------------------------ lifecycle
    async def start(self, advertised_host: str, advertised_port: int) -> None:
        self.endpoint = BrokerEndpoint(
            self.node_id, advertised_host, advertised_port, self.endpoint.rack
        )
        self.log_manager.startup()
        for line in self.log_manager.recovery_report:
            log.warning("recovery: %s", line)
        if self.cluster is None:
            for info in self.store.topics().values():
                config = self.topics.log_config(info.name)
                for p in range(info.partitions):
                    self.log_manager.get_or_create_log(info.name, p, config)
        self.topics.refresh_log_configs()
        if self.cluster is not None:
            await self.cluster.start()
        for service in self.services:
            await service.start()
        retention_s = self.config.get_int("log.retention.check.interval.ms") / 1000
        self._tasks = [
            asyncio.create_task(self._every(retention_s, self.log_manager.run_retention)),
            asyncio.create_task(self._every(1.0, self.log_manager.flush_dirty)),
            asyncio.create_task(self._every(1.0, self.log_manager.delete_retired_files)),
            asyncio.create_task(
                self._every(
                    self.config.get_int("log.flush.offset.checkpoint.interval.ms") / 1000,
                    self.log_manager.checkpoint,
                )
            ),
        ]
        if self.config.get_bool("log.cleaner.enable"):
            self.log_cleaner.start()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for service in reversed(self.services):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s failed", type(service).__name__)
        self.purgatory.notify_all()
        await self.log_cleaner.stop()
        if self.cluster is not None:
            await self.cluster.stop()
        self.log_manager.shutdown()

    async def _every(self, interval_s: float, fn: object) -> None:
        assert callable(fn)
        while True:
            await asyncio.sleep(max(interval_s, 0.05))
            try:
                fn()
            except Exception:
                log.exception("periodic task %s failed", getattr(fn, "__name__", fn))
