"""Property: keyed writes, tombstones, cleaner runs, clock moves, clean and crash restarts.

Invariants after every step, against the list of everything written:
- a full read returns records in strictly increasing offsets, each exactly as written
  (key, value, timestamp) at that offset;
- per key, the latest value read is the latest written; a key whose latest write is a
  tombstone reads as that tombstone or not at all, and the tombstone is still there while
  it is younger than ``delete.retention.ms``;
- nothing at or after the active segment's base offset is ever removed;
- reads from any position (also inside a cleaned range) return the full read's suffix.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.records.batch import iter_batches
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.record import Record, iter_records
from odradek.storage.log import Log
from odradek.storage.log_cleaner import LogCleaner
from odradek.storage.log_manager import LogManager

RETENTION_MS = 5_000
CONFIG = LogConfig(
    segment_bytes=600,
    index_interval_bytes=100,
    cleanup_policy=("compact",),
    min_cleanable_dirty_ratio=0.01,
    delete_retention_ms=RETENTION_MS,
)
TOPIC = "prop"
KEYS = [b"k%d" % i for i in range(6)]


def read_from(log: Log, start: int) -> list[Record]:
    out: list[Record] = []
    for buf in log.read(start, 1 << 30).buffers:
        data = bytes(buf)
        for pos, h in iter_batches(data):
            out.extend(r for r in iter_records(data[pos : pos + h.size]) if r.offset >= start)
    return out


class CompactionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="compaction-prop-"))
        self.clock = ManualClock()
        self.written: dict[int, tuple[bytes, bytes | None, int]] = {}
        self.open()

    def open(self) -> None:
        self.manager = LogManager([self.dir], CONFIG, self.clock)
        self.manager.startup()
        self.log = self.manager.get_or_create_log(TOPIC, 0, CONFIG)
        self.cleaner = LogCleaner(self.manager, dedupe_buffer_bytes=24 * 4)

    def teardown(self) -> None:
        self.manager.shutdown()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(
        items=st.lists(
            st.tuples(st.sampled_from(KEYS), st.none() | st.binary(min_size=1, max_size=60)),
            min_size=1,
            max_size=4,
        ),
        codec=st.sampled_from([0, 1, 2, 3, 4]),
    )
    def write(self, items: list[tuple[bytes, bytes | None]], codec: int) -> None:
        now = self.clock.now_ms()
        raw = build_batch([SimpleRecord(k, v) for k, v in items], timestamp=now, codec=codec)
        info = self.log.append_as_leader(memoryview(bytearray(raw)), now)
        for i, (k, v) in enumerate(items):
            self.written[info.first_offset + i] = (k, v, now)

    @rule()
    def clean(self) -> None:
        self.cleaner.clean_once()

    @rule(ms=st.integers(min_value=1, max_value=4_000))
    def tick(self, ms: int) -> None:
        self.clock.advance(ms)

    @rule(clean=st.booleans())
    def restart(self, clean: bool) -> None:
        if clean:
            self.manager.shutdown()
        else:
            self.log.abandon()
        self.open()

    @invariant()
    def reads_are_consistent(self) -> None:
        recs = read_from(self.log, self.log.log_start_offset)
        offsets = [r.offset for r in recs]
        assert offsets == sorted(set(offsets))
        for r in recs:
            assert (r.key, r.value, r.timestamp) == self.written[r.offset]
        got: dict[bytes | None, bytes | None] = {}
        for r in recs:
            got[r.key] = r.value
        want: dict[bytes, tuple[bytes | None, int]] = {}
        for _off, (k, v, ts) in sorted(self.written.items()):
            want[k] = (v, ts)
        now = self.clock.now_ms()
        for k, (v, ts) in want.items():
            if v is not None:
                assert got.get(k) == v, k
            else:
                assert got.get(k) is None
                if now - ts < RETENTION_MS:
                    assert k in got, f"tombstone of {k!r} removed too early"
        active = self.log.active.base_offset
        assert [o for o in offsets if o >= active] == [o for o in self.written if o >= active]

    @invariant()
    def positions_inside_cleaned_ranges_work(self) -> None:
        end = self.log.log_end_offset
        if end == 0:
            return
        full = read_from(self.log, self.log.log_start_offset)
        for start in {0, end // 3, end // 2, end - 1}:
            got = [r.offset for r in read_from(self.log, start)]
            assert got == [r.offset for r in full if r.offset >= start]


CompactionMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
test_compaction_model = CompactionMachine.TestCase
