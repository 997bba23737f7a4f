"""A coordinator partition in cluster mode: appends as the partition's leader, acks=-1.

``append`` goes through :class:`~odradek.replication.manager.ClusterReplicas` (leader check,
``min.insync.replicas``, leader epoch stamped, high watermark advanced), so a coordinator that
lost leadership gets NOT_LEADER_OR_FOLLOWER (NOT_COORDINATOR for its clients) and a shrunken
ISR NOT_ENOUGH_REPLICAS (COORDINATOR_NOT_AVAILABLE). ``when_committed`` calls back once the
high watermark passes an offset, or with REQUEST_TIMED_OUT / NOT_LEADER_OR_FOLLOWER (Kafka's
coordinators answer after their appends are replicated: ``offsets.commit.timeout.ms`` for the
group coordinator, ``request.timeout.ms`` for the transaction coordinator).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator

from odradek.common.errors import ErrorCode
from odradek.coordinator.log_partition import Entry, LogPartition, build_records
from odradek.coordinator.runtime import Completion, Producer, Record, TxnAwareMachine
from odradek.replication.manager import ClusterReplicas

log = logging.getLogger(__name__)
PurgatoryWait = Callable[[list[tuple[str, int]], float], Awaitable[bool]]


def config_ms(config: object, name: str, default: int) -> int:
    """A timeout property that the broker config may not define: its value or ``default``."""
    value = config.get(name)  # type: ignore[attr-defined]
    return default if value is None else int(str(value))


class ReplicatedPartition:
    """PartitionWriter, CommitWatcher and PartitionReader of a partition led here."""

    reads_transactions = True

    def __init__(
        self,
        replicas: ClusterReplicas,
        topic: str,
        partition: int,
        purgatory_wait: PurgatoryWait,
        timeout_ms: int,
    ) -> None:
        self.replicas = replicas
        self.topic = topic
        self.partition = partition
        self.purgatory_wait = purgatory_wait
        self.timeout_s = timeout_ms / 1000
        self._tasks: set[asyncio.Task[None]] = set()

    def append(self, records: list[Record], now_ms: int, producer: Producer | None = None) -> int:
        batch = build_records(records, now_ms, producer)
        info = self.replicas.append(
            self.topic,
            self.partition,
            memoryview(bytearray(batch)),
            now_ms,
            -1,
            from_client=producer is None,
        )
        return info.last_offset

    def when_committed(self, offset: int, callback: Completion) -> None:
        lg = self.replicas.log_manager.get_log(self.topic, self.partition)
        if lg is not None and lg.high_watermark > offset:
            callback(ErrorCode.NONE)
            return
        task = asyncio.ensure_future(self._wait(offset, callback))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _wait(self, offset: int, callback: Completion) -> None:
        code = await self.replicas.wait_committed(
            self.topic, self.partition, offset, self.timeout_s, self.purgatory_wait
        )
        try:
            callback(ErrorCode(code))
        except Exception:
            log.exception("%s-%d: completion after commit failed", self.topic, self.partition)

    def read_from(self, offset: int, txn: TxnAwareMachine | None = None) -> Iterator[Entry]:
        lg = self.replicas.log_manager.get_log(self.topic, self.partition)
        if lg is None:
            return iter(())
        return LogPartition(lg).read_from(offset, txn)
