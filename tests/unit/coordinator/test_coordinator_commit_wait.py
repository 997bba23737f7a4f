"""Coordinator answers wait for the commit of their records (cluster mode, acks=-1): a writer
with ``when_committed`` decides when completions run, and with which error."""

from __future__ import annotations

from group_harness import Box

from odradek.common.clock import ManualClock
from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import OffsetCommitRequest, TopicPartitionOffset
from odradek.coordinator.group.config import GroupConfig
from odradek.coordinator.group.service import GroupCoordinator
from odradek.coordinator.runtime import Completion, InMemoryPartition


class ReplicatedFake(InMemoryPartition):
    """Appends at once; an offset is committed when the test says so (the high watermark)."""

    def __init__(self) -> None:
        super().__init__()
        self.high_watermark = 0
        self.waiting: list[tuple[int, Completion]] = []

    def when_committed(self, offset: int, callback: Completion) -> None:
        if offset < self.high_watermark:
            callback(ErrorCode.NONE)
        else:
            self.waiting.append((offset, callback))

    def advance_hw(self, hw: int) -> None:
        self.high_watermark = hw
        ready = [(o, cb) for o, cb in self.waiting if o < hw]
        self.waiting = [(o, cb) for o, cb in self.waiting if o >= hw]
        for _o, cb in ready:
            cb(ErrorCode.NONE)

    def time_out(self) -> None:
        waiting, self.waiting = self.waiting, []
        for _o, cb in waiting:
            cb(ErrorCode.REQUEST_TIMED_OUT)


def _setup() -> tuple[GroupCoordinator, ReplicatedFake]:
    part = ReplicatedFake()
    coord = GroupCoordinator(GroupConfig(offsets_topic_num_partitions=1), ManualClock())
    coord.load(0, part, part)
    return coord, part


def _commit(coord: GroupCoordinator, offset: int) -> Box:
    box = Box()
    req = OffsetCommitRequest("g", -1, "", (TopicPartitionOffset("t", 0, offset, -1, ""),))
    coord.commit_offsets(req, box)
    return box


def test_offset_commit_answered_once_committed() -> None:
    coord, part = _setup()
    box = _commit(coord, 5)
    assert not box.done  # appended, not yet replicated
    assert len(part.records) == 1
    part.advance_hw(1)
    assert box.value == [("t", 0, ErrorCode.NONE)]


def test_replication_timeout_answers_coordinator_not_available() -> None:
    coord, part = _setup()
    box = _commit(coord, 5)
    part.time_out()
    # Kafka's GroupMetadataManager maps REQUEST_TIMED_OUT to COORDINATOR_NOT_AVAILABLE
    assert box.value == [("t", 0, ErrorCode.COORDINATOR_NOT_AVAILABLE)]


def test_an_answer_without_records_waits_for_earlier_uncommitted_ones() -> None:
    coord, part = _setup()
    first = _commit(coord, 5)
    box = Box()
    coord.heartbeat("g", "nobody", 1, None, box)  # writes nothing
    assert not first.done and not box.done
    part.advance_hw(1)
    assert first.done and box.value == ErrorCode.UNKNOWN_MEMBER_ID


def test_delete_group_answers_through_its_callback_once_committed() -> None:
    coord, part = _setup()
    _commit(coord, 5)
    part.advance_hw(1)
    codes: list[ErrorCode] = []
    assert coord.delete_group("g", codes.append) == ErrorCode.UNKNOWN_SERVER_ERROR  # not yet
    assert codes == []
    part.advance_hw(len(part.records))
    assert codes == [ErrorCode.NONE]
