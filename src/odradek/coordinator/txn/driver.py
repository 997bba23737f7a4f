"""Runs the transaction coordinator inside a broker: ``__transaction_state``, markers, deadlines.

The broker attaches one :class:`TxnCoordinatorDriver` (``broker.transactions``). The topic is
created on first use (FindCoordinator with key type 1, or InitProducerId with a transactional
id), compacted, with ``transaction.state.log.num.partitions`` partitions, all led here.

Markers go straight to the local partition logs (this broker leads every partition); the
offsets of a committed transaction go to the group coordinator (``broker.groups``). A task
fires transaction timeouts, completion retries and id expiry, and periodically removes
producer state idle for ``producer.id.expiration.ms`` from every log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.group.records import OffsetKey, OffsetValue
from odradek.coordinator.log_partition import LogPartition
from odradek.coordinator.runtime import CoordinatorResult, Record
from odradek.coordinator.txn.markers import MarkerRequest, build_marker
from odradek.coordinator.txn.offsets import GroupOffsets
from odradek.coordinator.txn.records import TOPIC
from odradek.coordinator.txn.service import TransactionCoordinator, TxnConfig

log = logging.getLogger(__name__)
OFFSETS_TOPIC = "__consumer_offsets"
_MAX_SLEEP_S = 0.5
_PRODUCER_EXPIRY_CHECK_MS = 60_000


class LocalMarkerWriter:
    """Appends markers to this broker's logs."""

    def __init__(self, driver: TxnCoordinatorDriver) -> None:
        self.driver = driver

    def write_markers(self, request: MarkerRequest) -> dict[tuple[str, int], ErrorCode]:
        broker = self.driver.broker
        now = broker.clock.now_ms()
        out: dict[tuple[str, int], ErrorCode] = {}
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
            batch = build_marker(
                request.producer_id,
                request.producer_epoch,
                request.coordinator_epoch,
                request.commit,
                now,
            )
            try:
                lg.append_as_leader(memoryview(bytearray(batch)), now, from_client=False)
            except KafkaError as exc:
                out[(topic, p)] = exc.code
                continue
            except OSError:
                out[(topic, p)] = ErrorCode.KAFKA_STORAGE_ERROR
                continue
            out[(topic, p)] = ErrorCode.NONE
            purgatory = getattr(broker, "purgatory", None)
            if purgatory is not None:
                purgatory.notify((topic, p))
        return out


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
        self.coordinator = TransactionCoordinator(
            self.config,
            broker.clock,
            broker.producer_ids.next_id,
            LocalMarkerWriter(self),
            self.commit_group_offsets,
        )
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loaded = False
        self._next_producer_expiry = 0

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

    def ensure_loaded(self) -> None:
        """Create ``__transaction_state`` if needed and load every partition of it."""
        if self._loaded:
            return
        n = self.config.num_partitions
        self.broker.topics.ensure_internal(
            TOPIC,
            n,
            self.broker.config.get_int("transaction.state.log.replication.factor"),
            {"cleanup.policy": "compact", "segment.bytes": str(100 * 1024 * 1024)},
        )
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

    def wake(self) -> None:
        self._wake.set()

    # ------------------------------------------------------------------ offsets
    def commit_group_offsets(self, group_id: str, offsets: GroupOffsets) -> None:
        """Make a committed transaction's offsets visible, as Kafka's COMMIT marker does."""
        groups = getattr(self.broker, "groups", None)
        if groups is None:
            return
        groups.ensure_loaded()
        now = self.broker.clock.now_ms()
        records: list[Record] = [
            (
                OffsetKey(group_id, t, p).encode(),
                OffsetValue(o.offset, o.metadata, now, o.leader_epoch).encode(),
            )
            for (t, p), o in sorted(offsets.items())
        ]

        def op(_st: object, _now: int) -> CoordinatorResult:
            return CoordinatorResult(records)

        # no member checks now: they were made when the offsets were sent
        groups.coordinator._write(group_id, op)

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
