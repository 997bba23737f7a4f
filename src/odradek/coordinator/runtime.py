"""The coordinator runtime: replicated state machines over a partition of an internal topic.

A write is ``op(now) -> CoordinatorResult(records, after)``: the op decides, without touching
durable state, which records describe the change; the runtime appends them to the partition
through a :class:`PartitionWriter`, then feeds every record to the state machine's ``replay`` —
the only code that mutates durable state, both live and when the partition is loaded — and runs
the ``after`` callbacks that complete the waiting requests once the records are committed: at
once on a single broker, once the high watermark passes them in a cluster (Kafka's coordinator
appends use acks=-1; a writer with ``when_committed`` says when). If the append fails, durable
state is untouched and the callbacks get the error (mapped to a coordinator error code, as Kafka
does), so no client is told about a change that was lost. A write that is appended but not
committed in time answers the mapped timeout error; its records stay replayed, as they stay in
the leader's log (a leader that loses them also loses the partition, and unloads it).

A result with a ``producer`` (id, epoch) is a transactional batch (TxnOffsetCommit): its records
are replayed through ``replay_txn`` of a :class:`TxnAwareMachine` and take effect when the
transaction's marker reaches the partition (``replay_marker``), live and on load.

Volatile state that Kafka never writes (a classic rebalance in flight, deadlines, callbacks of
waiting requests) is owned by the state machine and may be changed by ops directly.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from odradek.common.errors import ErrorCode, KafkaError

Record = tuple[bytes | None, bytes | None]
"""A (key, value) pair; a None value is a tombstone."""

Completion = Callable[[ErrorCode], None]
"""Run after the records of a write are durable (NONE) or failed (the error code)."""


Producer = tuple[int, int]
"""(producer id, producer epoch) of a transactional batch."""


class PartitionWriter(Protocol):
    """Appends records to the coordinator's partition."""

    def append(self, records: list[Record], now_ms: int, producer: Producer | None = None) -> int:
        """Append as one batch; return the offset of the last record. Raises KafkaError."""
        ...


class CommitWatcher(Protocol):
    """A writer whose appends are committed later (replicated partitions)."""

    def when_committed(self, offset: int, callback: Completion) -> None:
        """Call ``callback(NONE)`` once ``offset`` is committed, or with the append error."""
        ...


class TxnAwareMachine(Protocol):
    def replay_txn(
        self, offset: int, producer_id: int, key: bytes | None, value: bytes | None
    ) -> None: ...

    def replay_marker(self, offset: int, producer_id: int, commit: bool) -> None: ...


class PartitionReader(Protocol):
    """Reads the coordinator's partition back for loading."""

    def read_from(self, offset: int) -> Iterable[tuple[int, bytes | None, bytes | None]]: ...


class StateMachine(Protocol):
    def replay(self, offset: int, key: bytes | None, value: bytes | None) -> None: ...


@dataclass(slots=True)
class CoordinatorResult:
    """What an op decided: records to make durable, then completions to run."""

    records: list[Record] = field(default_factory=list)
    after: list[Completion] = field(default_factory=list)
    producer: Producer | None = None

    def then(self, completion: Completion) -> CoordinatorResult:
        self.after.append(completion)
        return self

    def extend(self, other: CoordinatorResult) -> CoordinatorResult:
        self.records.extend(other.records)
        self.after.extend(other.after)
        return self


# Log append errors as a coordinator reports them (Kafka's GroupMetadataManager mapping).
_APPEND_ERRORS = {
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_ENOUGH_REPLICAS: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.REQUEST_TIMED_OUT: ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ErrorCode.NOT_LEADER_OR_FOLLOWER: ErrorCode.NOT_COORDINATOR,
    ErrorCode.KAFKA_STORAGE_ERROR: ErrorCode.NOT_COORDINATOR,
    ErrorCode.MESSAGE_TOO_LARGE: ErrorCode.UNKNOWN_SERVER_ERROR,
    ErrorCode.RECORD_LIST_TOO_LARGE: ErrorCode.UNKNOWN_SERVER_ERROR,
    ErrorCode.INVALID_FETCH_SIZE: ErrorCode.UNKNOWN_SERVER_ERROR,
}


def coordinator_error(code: ErrorCode) -> ErrorCode:
    return _APPEND_ERRORS.get(code, code)


class CoordinatorShard:
    """Runs writes for one partition of an internal topic against one state machine."""

    def __init__(self, partition: int, machine: StateMachine, writer: PartitionWriter) -> None:
        self.partition = partition
        self.machine = machine
        self.writer = writer
        self.last_offset = -1

    def load(self, reader: PartitionReader) -> int:
        """Replay every record of the partition; return how many were replayed."""
        count = 0
        if hasattr(self.machine, "replay_txn") and getattr(reader, "reads_transactions", False):
            # transactional batches and markers go to the machine as the reader meets them
            entries = reader.read_from(0, self.machine)  # type: ignore[call-arg]
        else:
            entries = reader.read_from(0)
        for offset, key, value in entries:
            self.machine.replay(offset, key, value)
            self.last_offset = offset
            count += 1
        return count

    def run(self, result: CoordinatorResult, now_ms: int) -> ErrorCode:
        """Append ``result``'s records, replay them, run its completions once committed.

        Returns the append error (NONE once appended, even if not yet committed)."""
        error = ErrorCode.NONE
        if result.records:
            try:
                last = self.writer.append(result.records, now_ms, result.producer)
            except KafkaError as exc:
                error = coordinator_error(exc.code)
            else:
                self._replay_appended(result, last)
                self.last_offset = last
                if result.after:
                    self.when_committed(last, _run_all(result.after))
                return error
        elif result.after and self.last_offset >= 0:
            # nothing written, but the answer may rest on state not yet committed
            self.when_committed(self.last_offset, _run_all(result.after))
            return error
        _run_all(result.after)(error)
        return error

    def _replay_appended(self, result: CoordinatorResult, last: int) -> None:
        first = last - len(result.records) + 1
        if result.producer is not None:
            machine: TxnAwareMachine = self.machine  # type: ignore[assignment]
            for i, (key, value) in enumerate(result.records):
                machine.replay_txn(first + i, result.producer[0], key, value)
            return
        for i, (key, value) in enumerate(result.records):
            self.machine.replay(first + i, key, value)

    def when_committed(self, offset: int, callback: Completion) -> None:
        """Run ``callback`` once ``offset`` of this partition is committed (mapped errors)."""
        watch = getattr(self.writer, "when_committed", None)
        if watch is None:
            callback(ErrorCode.NONE)
            return
        watch(offset, lambda code: callback(coordinator_error(code)))


def _run_all(completions: list[Completion]) -> Completion:
    def run(error: ErrorCode) -> None:
        for completion in completions:
            completion(error)

    return run


class Timers:
    """Deadlines by key (re-scheduling a key replaces it), fired in deadline order by ``due``."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Hashable]] = []
        self._live: dict[Hashable, tuple[int, int]] = {}
        self._seq = itertools.count()

    def schedule(self, key: Hashable, deadline_ms: int) -> None:
        seq = next(self._seq)
        self._live[key] = (deadline_ms, seq)
        heapq.heappush(self._heap, (deadline_ms, seq, key))

    def cancel(self, key: Hashable) -> None:
        self._live.pop(key, None)

    def deadline(self, key: Hashable) -> int | None:
        entry = self._live.get(key)
        return None if entry is None else entry[0]

    def due(self, now_ms: int) -> list[Hashable]:
        """Remove and return the keys whose deadline is at or before ``now_ms``."""
        fired: list[Hashable] = []
        while self._heap and self._heap[0][0] <= now_ms:
            deadline, seq, key = heapq.heappop(self._heap)
            if self._live.get(key) == (deadline, seq):
                del self._live[key]
                fired.append(key)
        return fired

    def next_deadline(self) -> int | None:
        while self._heap:
            deadline, seq, key = self._heap[0]
            if self._live.get(key) == (deadline, seq):
                return deadline
            heapq.heappop(self._heap)
        return None

    def __len__(self) -> int:
        return len(self._live)


class InMemoryPartition:
    """A partition kept in a list: the writer and reader for tests and simulations."""

    def __init__(self) -> None:
        self.records: list[tuple[int, bytes | None, bytes | None]] = []
        self.fail_with: ErrorCode | None = None

    def append(self, records: list[Record], now_ms: int, producer: Producer | None = None) -> int:
        if self.fail_with is not None:
            raise KafkaError(self.fail_with, "injected append failure")
        for key, value in records:
            self.records.append((len(self.records), key, value))
        return len(self.records) - 1

    def read_from(self, offset: int) -> Iterable[tuple[int, bytes | None, bytes | None]]:
        return list(self.records[offset:])
