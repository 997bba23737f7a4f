"""Cluster mode of a broker (``zookeeper.connect`` set): the ZooKeeper session, the topic store
in ZooKeeper, the replicas this broker hosts and the controller it may become.

Start order: load the checkpointed high watermarks, register ``/brokers/ids/N`` (ephemeral),
then join the controller election. Stop order: resign as controller, stop the fetchers,
checkpoint high watermarks, close the session (which removes the registration, so the
controller moves leadership away).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from odradek.common.errors import ErrorCode, KafkaError
from odradek.controller import zk_paths as zp
from odradek.controller.controller import KafkaController
from odradek.controller.zk_store import ZkTopicStore, connect_kazoo
from odradek.net.client import BrokerClient
from odradek.protocol.header import encode_request_header
from odradek.replication import wire
from odradek.replication.fetcher import FetcherConfig
from odradek.replication.manager import ClusterReplicas
from odradek.replication.throttle import LeaderGate, ReplicationThrottle

if TYPE_CHECKING:
    from odradek.broker.broker import Broker, BrokerEndpoint

log = logging.getLogger(__name__)


class ClusterServices:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        cfg = broker.config
        connect = cfg.get_str("zookeeper.connect") or ""
        self.zk = connect_kazoo(connect, cfg.get_int("zookeeper.session.timeout.ms"))
        self.store = ZkTopicStore(self.zk)
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self) -> None:
        """Second construction step, once the broker has its log manager and topic service."""
        b = self.broker
        cfg = b.config
        self.lag_ms = int(cfg.get_int("replica.lag.time.max.ms"))
        self.throttle = ReplicationThrottle(b.node_id, b.clock)
        self.throttle.configure(self.store.broker_configs())
        fetch = FetcherConfig(
            max_wait_ms=cfg.get_int("replica.fetch.wait.max.ms"),
            partition_max_bytes=cfg.get_int("replica.fetch.max.bytes"),
            throttle=self.throttle,
        )
        self.replicas = ClusterReplicas(
            b.node_id,
            b.log_manager,
            b.topics.log_config,
            lambda tp: b.purgatory.notify(tp),
            self._write_isr,
            b.clock,
            self.lag_ms,
            fetch,
        )
        self.replicas.leadership_listeners.append(self._on_leadership)
        self.store.config_listeners.append(self._on_config_change)
        self.controller = KafkaController(
            self.zk, self.store, b.node_id, self._unclean, on_session_renewed=self._register
        )

    def _on_config_change(self, topic: str | None) -> None:
        """A topic's (or the dynamic broker) configs changed in ZooKeeper: refresh the logs.
        Called on kazoo's thread; the refresh runs on the event loop."""
        if topic is None:
            self.throttle.configure(self.store.broker_configs())
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        names = None if topic is None else [topic]
        loop.call_soon_threadsafe(self.broker.topics.refresh_log_configs, names)

    def _on_leadership(self, tp: tuple[str, int], leader: bool) -> None:
        """Coordinators follow the leadership of their internal topic partitions."""
        if tp[0] == "__consumer_offsets":
            self.broker.groups.on_leadership(tp[1], leader)
        elif tp[0] == "__transaction_state":
            self.broker.transactions.on_leadership(tp[1], leader)

    def leader_throttle_gate(self, replica_id: int) -> LeaderGate | None:
        """The replication throttle checks for one follower's fetch; None when unthrottled."""
        if not self.throttle.leader.limited:
            return None
        return self.throttle.leader_gate(replica_id, self._in_isr)

    def _in_isr(self, topic: str, partition: int, replica: int) -> bool:
        part = self.replicas.partitions.get((topic, partition))
        return part is not None and replica in part.isr

    def coordinator_of(self, topic: str, partition: int) -> BrokerEndpoint | None:
        """The live leader of an internal topic partition (FindCoordinator in cluster mode)."""
        from odradek.broker.broker import BrokerEndpoint

        cache = self.replicas.metadata
        state = cache.partition(topic, partition)
        if state is None or state.leader not in cache.brokers:
            return None
        b = cache.brokers[state.leader]
        return BrokerEndpoint(b.node_id, b.host, b.port, b.rack)

    def _unclean(self, topic: str) -> bool:
        props = self.broker.topics.effective_props(topic)
        return str(props.get("unclean.leader.election.enable", "false")).lower() == "true"

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._drop_deleted_topics)
        self.replicas.load_high_watermarks()
        await asyncio.to_thread(self._register)
        await self.controller.start()
        self._tasks = [
            asyncio.create_task(self._every(self.lag_ms / 2000, self.replicas.shrink_isr)),
            asyncio.create_task(self._every(5.0, self.replicas.checkpoint_high_watermarks)),
        ]
        if self.broker.config.get_bool("auto.leader.rebalance.enable"):
            raw = self.broker.config.get("leader.imbalance.check.interval.seconds")
            interval = float(str(raw)) if raw is not None else 300.0
            self._tasks.append(asyncio.create_task(self._every(interval, self._rebalance)))

    def _drop_deleted_topics(self) -> None:
        """Logs of topics deleted while this broker was down (it missed the StopReplica)."""
        existing = set(self.zk.get_children(zp.BROKER_TOPICS))
        for lg in self.broker.log_manager.all_logs():
            if lg.topic not in existing:
                log.warning("deleting %s-%d: the topic no longer exists", lg.topic, lg.partition)
                self.broker.log_manager.delete_log(lg.topic, lg.partition)

    def _rebalance(self) -> None:
        if self.controller.active:
            self.controller.post("rebalance")

    def _register(self) -> None:
        e = self.broker.endpoint
        reg = zp.BrokerRegistration(e.node_id, e.host, e.port, e.rack)
        try:
            self.store.register_broker(reg)
        except Exception:
            # a registration of our previous session may linger until it expires
            with contextlib.suppress(Exception):
                self.zk.delete(zp.broker_path(e.node_id))
            self.store.register_broker(reg)
        log.info("registered broker %d at %s:%d in ZooKeeper", e.node_id, e.host, e.port)

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        if self.broker.config.get_bool("controlled.shutdown.enable"):
            await self._controlled_shutdown()
        await self.controller.stop()
        await self.replicas.stop()
        try:
            self.replicas.checkpoint_high_watermarks()
        except OSError as exc:
            log.warning("high watermark checkpoint failed: %s", exc)
        await asyncio.to_thread(self.zk.stop)
        self.zk.close()

    async def _controlled_shutdown(self) -> None:
        """Ask the controller to move leadership away first (a few attempts, then stop anyway)."""
        for _ in range(3):
            try:
                remaining = await asyncio.wait_for(self._ask_controller(), 15)
            except (ConnectionError, OSError, KafkaError, TimeoutError) as exc:
                log.info("controlled shutdown attempt failed: %s", exc)
                await asyncio.sleep(0.5)
                continue
            if not remaining:
                log.info("controlled shutdown complete")
                return
            log.info("controlled shutdown: still leading %s", remaining[:5])
            await asyncio.sleep(0.5)
        log.warning("proceeding without a complete controlled shutdown")

    async def _ask_controller(self) -> list[tuple[str, int]]:
        node = self.broker.node_id
        cid = self.controller_id()
        if cid == node and self.controller.active:
            result: list[tuple[str, int]] = await self.controller.call("controlled_shutdown", node)
            return result
        b = self.replicas.metadata.brokers.get(cid)
        if b is None:
            raise ConnectionError("no controller known")
        client = BrokerClient(b.host, b.port)
        try:
            corr = client.next_correlation_id()
            head = encode_request_header(
                wire.CONTROLLED_SHUTDOWN, wire.CONTROLLED_SHUTDOWN_VERSION, corr, f"broker-{node}"
            )
            resp = await client.request(corr, [head, wire.encode_controlled_shutdown(node)], 10)
        finally:
            await client.close()
        error, remaining = wire.decode_controlled_shutdown_response(resp, 0)
        if error:
            raise KafkaError(ErrorCode(error), "controlled shutdown refused")
        return remaining

    async def _write_isr(
        self,
        topic: str,
        partition: int,
        leader: int,
        leader_epoch: int,
        isr: tuple[int, ...],
        controller_epoch: int,
        zk_version: int,
    ) -> int | None:
        st = zp.PartitionState(leader, leader_epoch, isr, controller_epoch, zk_version)
        return await asyncio.to_thread(self.store.update_isr, topic, partition, st)

    def controller_id(self) -> int:
        """From the last UpdateMetadata, else as seen in ``/controller``."""
        known = self.replicas.metadata.controller_id
        return known if known >= 0 else self.controller.current_id

    def live_brokers(self) -> list[BrokerEndpoint]:
        from odradek.broker.broker import BrokerEndpoint

        known = self.replicas.metadata.brokers
        if known:
            return [BrokerEndpoint(b.node_id, b.host, b.port, b.rack) for b in known.values()]
        regs = self.store.live_brokers()
        return [BrokerEndpoint(r.node_id, r.host, r.port, r.rack) for r in regs.values()]

    async def _every(self, interval_s: float, fn: object) -> None:
        assert callable(fn)
        while True:
            await asyncio.sleep(max(interval_s, 0.05))
            try:
                fn()
            except Exception:
                log.exception("periodic task %s failed", getattr(fn, "__name__", fn))
