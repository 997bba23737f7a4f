"""Runs the transaction coordinator inside a broker: ``__transaction_state``, markers, deadlines.

The broker attaches one :class:`TxnCoordinatorDriver` (``broker.transactions``). The topic is
created on first use (FindCoordinator with key type 1, or InitProducerId with a transactional
id), compacted, with ``transaction.state.log.num.partitions`` partitions, replication factor
``transaction.state.log.replication.factor`` capped at the live brokers (so ``odradek cluster
--brokers 1`` works; Kafka would refuse until enough brokers exist) and ``min.insync.replicas``
from ``transaction.state.log.min.isr`` (capped likewise).

One broker: every partition is led here and loaded at once; markers go straight to the local
logs. Cluster mode: a partition is loaded (replayed) when this broker becomes its leader, with
the leader epoch as coordinator epoch, and unloaded when it stops leading it; its writes are
acks=-1 appends answered once committed. Markers go to each partition's leader as
WriteTxnMarkers (:mod:`~odradek.coordinator.txn.marker_sender`); the leader side
(:meth:`TxnCoordinatorDriver.write_markers_as_leader`) appends them with acks=-1 and answers
once replicated. A marker in ``__consumer_offsets`` completes the group coordinator's pending
transactional offsets. A task fires transaction timeouts, completion retries and id expiry,
and periodically removes producer state idle for ``producer.id.expiration.ms``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.log_partition import LogPartition
from odradek.coordinator.replicated_partition import ReplicatedPartition, config_ms
from odradek.coordinator.txn.marker_sender import MarkerErrors, MarkerSender, WireMarkerTransport
from odradek.coordinator.txn.markers import MarkerRequest, MarkersDone, build_marker
from odradek.coordinator.txn.records import TOPIC
from odradek.coordinator.txn.service import TransactionCoordinator, TxnConfig

log = logging.getLogger(__name__)
OFFSETS_TOPIC = "__consumer_offsets"
_MAX_SLEEP_S = 0.5
_PRODUCER_EXPIRY_CHECK_MS = 60_000


class LocalMarkerWriter:
    """One broker: appends markers to this broker's logs, answering at once."""

    def __init__(self, driver: TxnCoordinatorDriver) -> None:
        self.driver = driver

    def write_markers(
        self, request: MarkerRequest, done: MarkersDone, still_wanted: Callable[[], bool]
    ) -> None:
        done(self.driver.append_markers_locally(request))


class ClusterMarkerWriter:
    """Cluster mode: markers to the partitions' leaders, ``done`` called when all are written."""

    def __init__(self, sender: MarkerSender) -> None:
        self.sender = sender
        self._tasks: set[asyncio.Task[None]] = set()

    def write_markers(
        self, request: MarkerRequest, done: MarkersDone, still_wanted: Callable[[], bool]
    ) -> None:
        async def run() -> None:
            errors = await self.sender.write(request, still_wanted)
            try:
                done(errors)
            except Exception:
                log.exception(
                    "completing the transaction of producer %d failed", request.producer_id
                )

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class TxnCoordinatorDriver:
    def __init__(self, broker: Any) -> None:
        self.broker = broker
        cfg = broker.config
        self.config = TxnConfig(
            num_partitions=cfg.get_int("transaction.state.log.num.partitions"),
            max_timeout_ms=cfg.get_int("transaction.max.timeout.ms"),
            id_expiration_ms=cfg.get_int("transactional.id.expiration.ms"),
        )
        self.producer_expiration_ms = cfg.get_int("producer.id.expiration.ms")
        self.request_timeout_ms = config_ms(cfg, "request.timeout.ms", 30_000)
        self.transport: WireMarkerTransport | None = None
        markers: LocalMarkerWriter | ClusterMarkerWriter = LocalMarkerWriter(self)
        if getattr(broker, "cluster", None) is not None:
            self.transport = WireMarkerTransport(
                broker.node_id, self.write_markers_as_leader, self._address_of
            )
            markers = ClusterMarkerWriter(MarkerSender(self._leader_of, self.transport))
        self.coordinator = TransactionCoordinator(
            self.config, broker.clock, broker.producer_ids.next_id, markers
        )
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loaded = False
        self._next_producer_expiry = 0

    @property
    def _cluster(self) -> Any:
        return getattr(self.broker, "cluster", None)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        if self.broker.topics.get(TOPIC) is not None:
            self.ensure_loaded()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.transport is not None:
            await self.transport.close()

    def ensure_loaded(self) -> None:
        """Create ``__transaction_state`` if needed; one broker loads every partition of it."""
        if self._loaded:
            return
        n = self.config.num_partitions
        cfg = self.broker.config
        rf = cfg.get_int("transaction.state.log.replication.factor")
        live = max(1, len(self.broker.live_brokers()))
        min_isr = min(cfg.get_int("transaction.state.log.min.isr"), rf, live)
        self.broker.topics.ensure_internal(
            TOPIC,
            n,
            rf,
            {
                "cleanup.policy": "compact",
                "segment.bytes": str(100 * 1024 * 1024),
                "min.insync.replicas": str(max(1, min_isr)),
            },
        )
        if self._cluster is not None:
            self._loaded = True  # partitions load when this broker becomes their leader
            return
        for p in range(n):
            lg = self.broker.log_manager.get_log(TOPIC, p)
            if lg is None:
                raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, f"{TOPIC}-{p} missing")
            part = LogPartition(lg)
            count = self.coordinator.load(p, part, part)
            if count:
                log.info("loaded %d records from %s-%d", count, TOPIC, p)
        self._loaded = True
        self.wake()

    def on_leadership(self, partition: int, leader: bool) -> None:
        """Cluster mode: coordinate the transactional ids of ``partition`` while leading it."""
        if not leader:
            if self.coordinator.is_loaded(partition):
                log.info("no longer coordinating %s-%d", TOPIC, partition)
            self.coordinator.unload(partition)
            return
        cluster = self._cluster
        state = cluster.replicas.partitions.get((TOPIC, partition))
        epoch = state.leader_epoch if state is not None else 0
        self.coordinator.unload(partition)
        part = ReplicatedPartition(
            cluster.replicas, TOPIC, partition, self.broker.purgatory.wait, self.request_timeout_ms
        )
        count = self.coordinator.load(partition, part, part, coordinator_epoch=epoch)
        log.info(
            "coordinating %s-%d at epoch %d (%d records replayed)", TOPIC, partition, epoch, count
        )
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    async def settle(self, txn_id: str, code: ErrorCode) -> ErrorCode:
        """``code``, or the error of committing what was written for ``txn_id`` (acks=-1)."""
        if code not in (ErrorCode.NONE, ErrorCode.CONCURRENT_TRANSACTIONS):
            return code
        fut: asyncio.Future[ErrorCode] = asyncio.get_running_loop().create_future()

        def done(error: ErrorCode) -> None:
            if not fut.done():
                fut.set_result(error)

        self.coordinator.when_committed(txn_id, done)
        error = await fut
        return code if error == ErrorCode.NONE else error

    # ------------------------------------------------------------------ markers
    def append_markers_locally(self, request: MarkerRequest) -> MarkerErrors:
        """One broker: append the markers to this broker's logs."""
        broker = self.broker
        now = broker.clock.now_ms()
        out: MarkerErrors = {}
        for topic, p in request.partitions:
            lg = broker.log_manager.get_log(topic, p)
            if lg is None:
                # a deleted partition counts as done; one hosted elsewhere is retried
                info = broker.topics.get(topic)
                hosted_elsewhere = info is not None and 0 <= p < int(info.partitions)
                out[(topic, p)] = (
                    ErrorCode.NOT_LEADER_OR_FOLLOWER
                    if hosted_elsewhere
                    else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                )
                continue
            batch = memoryview(bytearray(self._marker(request, now)))
            try:
                appended = lg.append_as_leader(batch, now, from_client=False)
            except KafkaError as exc:
                out[(topic, p)] = exc.code
                continue
            except OSError:
                out[(topic, p)] = ErrorCode.KAFKA_STORAGE_ERROR
                continue
            out[(topic, p)] = ErrorCode.NONE
            self._after_marker(topic, p, appended.last_offset, request)
        return out

    async def write_markers_as_leader(self, request: MarkerRequest) -> MarkerErrors:
        """Cluster mode, the partitions' leader: append with acks=-1, answer once replicated."""
        cluster = self._cluster
        if cluster is None:
            return self.append_markers_locally(request)
        now = self.broker.clock.now_ms()
        out: MarkerErrors = {}
        waits: list[tuple[tuple[str, int], int]] = []
        for topic, p in request.partitions:
            batch = memoryview(bytearray(self._marker(request, now)))
            try:
                info = cluster.replicas.append(topic, p, batch, now, -1, from_client=False)
            except KafkaError as exc:
                out[(topic, p)] = exc.code
                continue
            except OSError:
                out[(topic, p)] = ErrorCode.KAFKA_STORAGE_ERROR
                continue
            self._notify(topic, p)
            waits.append(((topic, p), info.last_offset))
        timeout_s = self.request_timeout_ms / 1000
        codes = await asyncio.gather(
            *(
                cluster.replicas.wait_committed(t, p, last, timeout_s, self.broker.purgatory.wait)
                for (t, p), last in waits
            )
        )
        for ((topic, p), last), code in zip(waits, codes, strict=True):
            out[(topic, p)] = ErrorCode(code)
            if code == 0:
                # Kafka completes the group's transactional offsets once the marker is replicated
                self._after_marker(topic, p, last, request)
        return out

    def _marker(self, request: MarkerRequest, now: int) -> bytes:
        return build_marker(
            request.producer_id,
            request.producer_epoch,
            request.coordinator_epoch,
            request.commit,
            now,
        )

    def _after_marker(self, topic: str, p: int, offset: int, request: MarkerRequest) -> None:
        if topic == OFFSETS_TOPIC:
            groups = getattr(self.broker, "groups", None)
            if groups is not None:
                groups.coordinator.on_marker(p, offset, request.producer_id, request.commit)
        self._notify(topic, p)

    def _notify(self, topic: str, p: int) -> None:
        purgatory = getattr(self.broker, "purgatory", None)
        if purgatory is not None:
            purgatory.notify((topic, p))

    def _leader_of(self, tp: tuple[str, int]) -> int | None:
        state = self._cluster.replicas.metadata.partition(*tp)
        if state is None:
            # unknown to the metadata: a deleted topic (done) or one not yet propagated
            return None if self.broker.topics.get(tp[0]) is not None else self.broker.node_id
        return int(state.leader)

    def _address_of(self, node: int) -> tuple[str, int] | None:
        b = self._cluster.replicas.metadata.brokers.get(node)
        return None if b is None else (b.host, b.port)

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
                if self._loaded:
                    self.coordinator.tick()
                self._expire_producers()
            except Exception:
                log.exception("transaction coordinator deadline processing failed")

    def _expire_producers(self) -> None:
        now = self.broker.clock.now_ms()
        if now < self._next_producer_expiry:
            return
        self._next_producer_expiry = now + _PRODUCER_EXPIRY_CHECK_MS
        for lg in self.broker.log_manager.all_logs():
            lg.txns.producers.expiration_ms = self.producer_expiration_ms
            lg.txns.producers.remove_expired(now)
