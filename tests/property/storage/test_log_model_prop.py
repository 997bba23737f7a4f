"""Property: the Log (through LogManager) against an in-memory model, with crashes.

The model is the list of batches (bytes as stored, offsets assigned) from the log start on.
Steps: append, roll, retention, delete_records, truncate, checkpoint, clean restart, crash
(drop the objects without closing, optionally chop bytes off the active segment file) and
recover. Invariants after every step: offsets contiguous, a full read returns exactly the
model's batches, partial reads return whole model batches within the byte budget, and a crash
loses nothing unless the tail was chopped — then exactly the batches that overlap the cut.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import iter_batches, read_header
from odradek.records.builder import SimpleRecord, build_batch
from odradek.storage.log import Log
from odradek.storage.log_manager import LogManager

CONFIG = LogConfig(
    segment_bytes=700,
    index_interval_bytes=150,
    segment_index_bytes=8 * 6,
    retention_bytes=1_500,
    retention_ms=60_000,
)
TOPIC = "model-topic"


@dataclass(frozen=True)
class Stored:
    base: int
    next: int
    data: bytes


class LogModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="logmodel-"))
        self.clock = ManualClock(start_ms=1_000_000)
        self.manager = self._start()
        self.log = self.manager.get_or_create_log(TOPIC, 0, CONFIG)
        self.batches: list[Stored] = []
        self.log_start = 0
        self.next_offset = 0
        self.epoch = 0

    def _start(self) -> LogManager:
        m = LogManager([self.root], CONFIG, self.clock)
        m.startup()
        return m

    def teardown(self) -> None:
        self.log.abandon()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- steps ---------------------------------------------------------------------------
    @rule(
        shape=st.lists(st.tuples(st.integers(1, 3), st.integers(0, 80)), min_size=1, max_size=3),
        ts_offset=st.integers(-5_000, 5_000),
    )
    def append(self, shape: list[tuple[int, int]], ts_offset: int) -> None:
        now = self.clock.now_ms()
        raw = b"".join(
            build_batch(
                [SimpleRecord(b"k%d" % i, b"v" * size) for i in range(n)],
                timestamp=now + ts_offset,
            )
            for n, size in shape
        )
        buf = bytearray(raw)
        if len(buf) > CONFIG.segment_bytes:
            with pytest.raises(KafkaError) as e:
                self.log.append_as_leader(memoryview(buf), now, leader_epoch=self.epoch)
            assert e.value.code == ErrorCode.RECORD_LIST_TOO_LARGE
            return
        info = self.log.append_as_leader(memoryview(buf), now, leader_epoch=self.epoch)
        assert info.first_offset == self.next_offset
        for pos, h in iter_batches(buf):
            self.batches.append(
                Stored(h.base_offset, h.next_offset, bytes(buf[pos : pos + h.size]))
            )
        self.next_offset = self.batches[-1].next
        assert info.last_offset == self.next_offset - 1

    @rule(ms=st.integers(0, 40_000))
    def tick(self, ms: int) -> None:
        self.clock.advance(ms)

    @rule()
    def roll(self) -> None:
        self.log.roll(self.clock.now_ms())

    @rule()
    def bump_epoch(self) -> None:
        self.epoch += 1

    @rule()
    def retention(self) -> None:
        before = self.log.log_start_offset
        self.log.apply_retention(self.clock.now_ms())
        segs = self.log.segments()
        assert self.log.log_start_offset == max(before, segs[0].base_offset)
        if len(segs) > 1:
            assert self.log.size_bytes() - segs[0].size < CONFIG.retention_bytes
        self.log_start = self.log.log_start_offset
        self._drop_below_start()

    @rule(data=st.data())
    def delete_records(self, data: st.DataObject) -> None:
        target = data.draw(st.integers(self.log_start, self.next_offset))
        assert self.log.delete_records_before(target) == max(target, self.log_start)
        self.log_start = max(target, self.log_start)
        self._drop_below_start()

    @precondition(lambda self: bool(self.batches))
    @rule(data=st.data())
    def truncate(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(self.batches) - 1))
        target = max(self.batches[i].base, self.log_start)
        if target == self.batches[i].base:
            self.log.truncate_to(target)
            self.batches = self.batches[:i]
            self.next_offset = target
        # a target inside the first batch (log start moved into it) is not a batch boundary

    @rule()
    def checkpoint(self) -> None:
        self.manager.checkpoint()

    @rule()
    def flush(self) -> None:
        self.log.flush()

    @rule()
    def clean_restart(self) -> None:
        self.manager.shutdown()
        self._reopen()
        assert self.manager.recovery_report == []

    @rule(chop=st.one_of(st.just(0), st.integers(1, 400)))
    def crash(self, chop: int) -> None:
        active = self.log.segments()[-1]
        path, size, base = active.log_path, active.size, active.base_offset
        self.log.abandon()
        if chop:
            new_size = max(0, size - chop)
            with path.open("r+b") as f:
                f.truncate(new_size)
            self._drop_chopped(base, new_size)
        self._reopen()

    def _reopen(self) -> None:
        self.manager = self._start()
        log = self.manager.get_log(TOPIC, 0)
        assert log is not None
        self.log = log

    def _drop_chopped(self, seg_base: int, new_size: int) -> None:
        keep = [b for b in self.batches if b.base < seg_base]
        pos = 0
        for b in self.batches[len(keep) :]:
            pos += len(b.data)
            if pos > new_size:
                break
            keep.append(b)
        lost_all_in_segment = not keep or keep[-1].base < seg_base
        self.batches = keep
        self.next_offset = seg_base if lost_all_in_segment else keep[-1].next
        if self.next_offset < self.log_start:  # the log restarts empty at its start offset
            self.batches = []
            self.next_offset = self.log_start

    def _drop_below_start(self) -> None:
        """Forget batches whose segment is gone (the model keeps what the files hold)."""
        first_base = self.log.segments()[0].base_offset
        self.batches = [b for b in self.batches if b.base >= first_base]

    def visible(self, start: int) -> list[bytes]:
        return [b.data for b in self.batches if b.next > start]

    # -- invariants ----------------------------------------------------------------------
    @invariant()
    def matches_model(self) -> None:
        log: Log = self.log
        assert log.log_start_offset == self.log_start
        assert log.log_end_offset == self.next_offset
        assert log.high_watermark == self.next_offset
        got = [bytes(b) for b in log.read(self.log_start, 1 << 30).buffers]
        assert got == self.visible(self.log_start)
        for prev, cur in itertools.pairwise(got):
            h1, h2 = read_header(prev), read_header(cur)
            assert h2.base_offset == h1.next_offset

    @invariant()
    def partial_reads(self) -> None:
        if not self.visible(self.log_start):
            return
        mid = self.batches[len(self.batches) // 2]
        start = max(self.log_start, (mid.base + mid.next) // 2)
        fd = self.log.read(start, 300)
        expected = self.visible(start)
        got = [bytes(b) for b in fd.buffers]
        assert got == expected[: len(got)]
        assert got, "min_one_message returns at least one batch"
        assert fd.size == sum(map(len, got))
        assert fd.size <= 300 or len(got) == 1
        if len(got) < len(expected):
            assert fd.size + len(expected[len(got)]) > 300


TestLogModel = LogModel.TestCase
TestLogModel.settings = settings(
    max_examples=int(os.environ.get("LOGMODEL_EXAMPLES", "50")),
    stateful_step_count=30,
    deadline=None,
)
