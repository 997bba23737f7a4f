"""The log cleaner on one log: latest value per key, offsets, timestamps, headers, codecs,
tombstones, lag settings, dirty-ratio selection, grouping, checkpoint, transactions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from compaction_helpers import (
    TOPIC,
    Harness,
    compact_config,
    latest,
    marker,
    read_all,
    txn_batch,
)

from odradek.common.errors import ErrorCode, KafkaError
from odradek.records.batch import DELETE_HORIZON_MASK, iter_batches
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.compression import XERIAL_MAGIC, xerial_snappy_compress
from odradek.storage.checkpoint import read_offsets
from odradek.storage.cleaner import Throttler
from odradek.storage.cleaner_checkpoint import CLEANER_CHECKPOINT
from odradek.storage.producer_state import ProducerStateManager


def fill(h: Harness, rounds: int, keys: int, tag: str = "v") -> dict[bytes, bytes]:
    want: dict[bytes, bytes] = {}
    for r in range(rounds):
        for k in range(keys):
            key, value = b"key-%d" % k, f"{tag}-{r}-{k}".encode() * 3
            h.put(key, value)
            want[key] = value
    return want


def test_clean_keeps_the_latest_value_per_key_and_offsets(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    want = fill(h, 20, 10)
    before = {r.offset: r for r in read_all(h.log)}
    active = h.log.active
    assert h.clean()
    after = read_all(h.log)
    assert latest(after) == want
    offsets = [r.offset for r in after]
    assert offsets == sorted(set(offsets))
    for r in after:  # offsets, timestamps and values are those originally written
        assert before[r.offset] == r
    assert h.log.active is active
    assert len(after) < len(before)
    # superseded records of the cleaned part are gone: at most one per key below the active
    below = [r for r in after if r.offset < active.base_offset]
    assert len({r.key for r in below}) == len(below)


def test_active_segment_is_never_cleaned(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(segment_bytes=1 << 20))
    fill(h, 5, 3)
    assert len(h.log.segments()) == 1
    assert not h.clean()
    assert len(read_all(h.log)) == 15


def test_fetch_positions_inside_a_cleaned_range_still_work(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    fill(h, 20, 10)
    assert h.clean()
    kept = [r.offset for r in read_all(h.log)]
    for start in range(0, h.log.log_end_offset, 7):
        got = read_all(h.log, start)
        assert got, start
        later = [r.offset for r in got if r.offset >= start]
        assert later == [o for o in kept if o >= start]


def test_headers_and_per_record_timestamps_survive_rebatching(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    recs = [
        SimpleRecord(b"a", b"old", (("h", b"1"),), 5_000),
        SimpleRecord(b"b", b"keep-b", (("trace", b"xyz"), ("n", None)), 5_001),
        SimpleRecord(b"c", None, (), 5_002),
    ]
    h.put_batch(recs, codec=1)
    fill(h, 30, 1, "pad")  # key-0 padding rolls segments
    h.put(b"a", b"new-a")
    fill(h, 30, 1, "pad2")
    assert h.clean()
    got = {r.key: r for r in read_all(h.log)}
    assert got[b"a"].value == b"new-a"
    assert got[b"b"].headers == (("trace", b"xyz"), ("n", None))
    assert got[b"b"].timestamp == 5_001 and got[b"b"].offset == 1
    assert got[b"c"].value is None and got[b"c"].timestamp == 5_002


@pytest.mark.parametrize("codec", [0, 1, 2, 3, 4])
def test_rebuilt_batches_keep_their_codec(tmp_path: Path, codec: int) -> None:
    h = Harness(tmp_path)
    h.put_batch([SimpleRecord(b"x", b"1" * 100), SimpleRecord(b"y", b"2" * 100)], codec=codec)
    fill(h, 30, 1, "pad")
    h.put(b"x", b"x-new")
    fill(h, 30, 1, "pad2")
    assert h.clean()
    data = b"".join(bytes(b) for b in h.log.read(0, 1 << 20).buffers)
    pos, first = next(iter_batches(data))
    assert first.base_offset == 0 and first.records_count == 1 and first.last_offset_delta == 1
    assert first.compression == codec
    if codec == 3:  # LZ4 frame: FLG byte has the block-independence bit
        assert data[pos + 61 + 4] & 0x20
    assert latest(read_all(h.log))[b"y"] == b"2" * 100


def _xerial_batch(records: list[SimpleRecord]) -> bytes:
    """A snappy batch in the xerial framing, like Kafka's Java producer sends."""
    from odradek.records.batch import CRC_POS, HEADER, HEADER_SIZE, LOG_OVERHEAD, compute_crc
    from odradek.records.builder import encode_record

    body = bytearray()
    for i, r in enumerate(records):
        encode_record(r, i, 0, body)
    payload = xerial_snappy_compress(bytes(body))
    buf = bytearray(HEADER_SIZE + len(payload))
    HEADER.pack_into(
        buf,
        0,
        0,
        len(buf) - LOG_OVERHEAD,
        -1,
        2,
        0,
        2,
        len(records) - 1,
        0,
        0,
        -1,
        -1,
        -1,
        len(records),
    )
    buf[HEADER_SIZE:] = payload
    buf[CRC_POS : CRC_POS + 4] = compute_crc(buf, 0, len(buf)).to_bytes(4, "big")
    return bytes(buf)


def test_xerial_snappy_stays_xerial(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.put_batch(
        [], raw=_xerial_batch([SimpleRecord(b"x", b"a" * 50), SimpleRecord(b"y", b"b" * 50)])
    )
    fill(h, 30, 1, "pad")
    h.put(b"x", b"new")
    fill(h, 30, 1, "pad2")
    assert h.clean()
    data = b"".join(bytes(b) for b in h.log.read(0, 1 << 20).buffers)
    _pos, first = next(iter_batches(data))
    assert first.records_count == 1 and first.compression == 2
    assert data[61 : 61 + len(XERIAL_MAGIC)] == XERIAL_MAGIC
    assert latest(read_all(h.log))[b"y"] == b"b" * 50


def test_tombstones_stay_for_delete_retention_then_go(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(delete_retention_ms=10_000))
    h.put(b"gone", b"value")
    fill(h, 10, 3)
    h.put(b"gone", None)
    fill(h, 10, 3, "w")
    assert h.clean()
    recs = read_all(h.log)
    assert latest(recs)[b"gone"] is None
    assert [r.value for r in recs if r.key == b"gone"] == [None]
    data = b"".join(bytes(b) for b in h.log.read(0, 1 << 20).buffers)
    stamped = [bh for _p, bh in iter_batches(data) if bh.attributes & DELETE_HORIZON_MASK]
    assert stamped and stamped[0].base_timestamp == h.clock.now_ms() + 10_000
    h.clock.advance(5_000)
    fill(h, 10, 3, "x")
    assert h.clean()
    assert b"gone" in latest(read_all(h.log))  # horizon not reached
    h.clock.advance(6_000)
    fill(h, 10, 3, "y")
    assert h.clean()
    assert b"gone" not in latest(read_all(h.log))


def test_records_without_key_are_rejected_on_compacted_topics(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    with pytest.raises(KafkaError) as info:
        h.put(None, b"no key")
    assert info.value.code == ErrorCode.INVALID_RECORD
    assert h.log.log_end_offset == 0


def test_min_compaction_lag_protects_recent_segments(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(min_compaction_lag_ms=60_000))
    now = h.clock.now_ms()
    fill(h, 20, 5)
    assert not h.clean()  # every record is younger than the lag
    h.clock.advance(61_000)
    assert now < h.clock.now_ms()
    h.put(b"key-0", b"late")
    assert h.clean()
    assert len(read_all(h.log)) < 101


def test_max_compaction_lag_forces_a_clean_below_the_ratio(tmp_path: Path) -> None:
    cfg = compact_config(min_cleanable_dirty_ratio=0.99, max_compaction_lag_ms=30_000)
    h = Harness(tmp_path, cfg)
    fill(h, 20, 5)
    assert h.clean()  # never cleaned: ratio 1.0 > 0.99
    fill(h, 2, 5, "w")
    assert not h.clean()  # little dirty data, young
    h.clock.advance(31_000)
    h.put(b"key-0", b"x" * 1500)
    h.put(b"key-1", b"x" * 1500)
    assert h.clean()


def test_the_dirtiest_log_is_cleaned_first(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    fill(h, 10, 5)
    assert h.clean()
    fill(h, 2, 5, "w")
    other = h.manager.get_or_create_log("other", 0, h.config)
    for i in range(200):
        raw = build_batch([SimpleRecord(b"same", b"%d" % i * 20)], timestamp=0)
        other.append_as_leader(memoryview(bytearray(raw)), 0)
    mine = h.cleaner.checkpoints.get(tmp_path, (TOPIC, 0))
    assert h.clean()
    assert h.cleaner.checkpoints.get(tmp_path, ("other", 0)) is not None
    assert h.cleaner.checkpoints.get(tmp_path, (TOPIC, 0)) == mine
    assert h.cleaner.dirty_ratios[("other", 0)] == 1.0
    assert h.cleaner.dirty_ratios[(TOPIC, 0)] < 1.0
    assert latest(read_all(other)) == {b"same": b"199" * 20}


def test_below_min_cleanable_ratio_nothing_is_cleaned(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(min_cleanable_dirty_ratio=0.5))
    fill(h, 1, 100)
    assert h.clean()
    fill(h, 1, 40, "w")
    assert not h.clean()
    assert 0 < h.cleaner.max_dirty_ratio <= 0.5


def test_small_cleaned_segments_are_grouped(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    fill(h, 40, 4)
    assert h.clean()
    n = len(h.log.segments())
    fill(h, 10, 4, "w")
    assert h.clean()
    assert len(h.log.segments()) < n
    assert latest(read_all(h.log)) == {b"key-%d" % k: b"w-9-%d" % k * 3 for k in range(4)}


def test_checkpoint_file_and_restart(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    want = fill(h, 20, 5)
    assert h.clean()
    first_dirty = read_offsets(tmp_path / CLEANER_CHECKPOINT)[(TOPIC, 0)]
    assert first_dirty == h.log.active.base_offset
    h.restart()
    assert latest(read_all(h.log)) == want
    assert not h.clean()  # nothing new is dirty after the restart
    h.restart(clean=False)
    assert latest(read_all(h.log)) == want


def test_aborted_transactions_and_markers_are_removed_when_safe(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(delete_retention_ms=1_000))
    lg = h.log
    lg.append_as_leader(txn_batch(5, 0, 0, [(b"t", b"aborted")]), 0)
    lg.append_as_leader(marker(5, 0, commit=False), 0, from_client=False)
    lg.append_as_leader(txn_batch(6, 0, 0, [(b"u", b"committed")]), 0)
    lg.append_as_leader(marker(6, 0, commit=True), 0, from_client=False)
    fill(h, 20, 3)
    assert lg.aborted_transactions(0, 10) == [(5, 0)]
    assert h.clean()
    got = latest(read_all(h.log))
    assert b"t" not in got and got[b"u"] == b"committed"
    data = b"".join(bytes(b) for b in lg.read(0, 1 << 20).buffers)
    controls = [bh for _p, bh in iter_batches(data) if bh.is_control]
    assert {c.producer_id for c in controls} == {5, 6}  # markers kept until the horizon
    h.clock.advance(2_000)
    fill(h, 20, 3, "w")
    assert h.clean()
    data = b"".join(bytes(b) for b in lg.read(0, 1 << 20).buffers)
    controls = [bh for _p, bh in iter_batches(data) if bh.is_control]
    # producer 5's abort marker has no data left; producer 6's commit still guards "u"
    assert {c.producer_id for c in controls} == {6} or not controls
    assert latest(read_all(h.log))[b"u"] == b"committed"


def test_open_transaction_bounds_the_cleanable_range(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    fill(h, 5, 3)
    h.log.append_as_leader(txn_batch(9, 0, 0, [(b"key-0", b"in-flight")]), 0)
    fill(h, 20, 3, "w")
    lso = h.log.last_stable_offset
    h.clean()
    assert all(s.base_offset <= lso for s in h.log.segments()[:1])
    recs = read_all(h.log)
    assert any(r.value == b"in-flight" for r in recs)
    assert [r.value for r in recs if r.offset < lso and r.key == b"key-0"]  # still there


def test_throttler_bounds_the_rate() -> None:
    t = Throttler(1_000_000)
    started = time.monotonic()
    for _ in range(10):
        t.maybe_throttle(50_000)
    assert time.monotonic() - started >= 0.4


def test_swap_is_abandoned_when_retention_removed_the_segments(tmp_path: Path) -> None:
    # file.delete.delay.ms 0: retention's own ``.deleted`` files go at once, so any left
    # over below would be the cleaner's
    cfg = compact_config(
        cleanup_policy=("compact", "delete"), retention_bytes=4096, file_delete_delay_ms=0
    )
    h = Harness(tmp_path, cfg)
    fill(h, 20, 5)
    plan = h.cleaner.grab_filthiest(h.clock.now_ms())
    assert plan is not None
    result = h.cleaner._cleaners[0].clean(plan)
    h.log.apply_retention(h.clock.now_ms())
    assert not h.cleaner.complete(result)
    part = tmp_path / f"{TOPIC}-0"
    assert not [p for p in part.iterdir() if p.name.endswith((".cleaned", ".swap", ".deleted"))]
    recs = read_all(h.log)
    offsets = [r.offset for r in recs]
    assert offsets == sorted(set(offsets)) and offsets[0] >= h.log.log_start_offset
    assert latest(recs) == {b"key-%d" % k: b"v-19-%d" % k * 3 for k in range(5)}


@pytest.mark.parametrize("processes", [False, True])
def test_background_workers_clean_and_stop(tmp_path: Path, processes: bool) -> None:
    import asyncio

    from odradek.storage.log_cleaner import LogCleaner

    h = Harness(tmp_path)
    want = fill(h, 20, 10)
    cleaner = LogCleaner(h.manager, backoff_ms=50, processes=processes)

    async def run() -> None:
        cleaner.start()
        try:
            for _ in range(400):
                if cleaner.cleanings:
                    break
                await asyncio.sleep(0.05)
        finally:
            await cleaner.stop()

    asyncio.run(run())
    assert cleaner.cleanings >= 1 and cleaner.bytes_cleaned_total > 0
    assert (TOPIC, 0) in cleaner.dirty_ratios
    assert latest(read_all(h.log)) == want
    assert len(read_all(h.log)) < 200


def test_max_compaction_lag_rolls_the_active_segment(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(segment_bytes=1 << 20, max_compaction_lag_ms=10_000))
    h.put(b"a", b"1")
    h.put(b"a", b"2")
    assert len(h.log.segments()) == 1
    h.clock.advance(11_000)
    h.put(b"b", b"3")  # the active segment is older than the lag: roll, then clean
    assert len(h.log.segments()) == 2
    assert h.clean()
    assert [(r.key, r.value) for r in read_all(h.log)] == [(b"a", b"2"), (b"b", b"3")]


def test_a_follower_copies_a_cleaned_log_with_its_empty_batches(tmp_path: Path) -> None:
    from odradek.common.clock import ManualClock
    from odradek.storage.log import Log

    h = Harness(tmp_path / "leader")
    h.log.append_as_leader(txn_batch(5, 0, 0, [(b"t", b"aborted")]), 0)
    h.log.append_as_leader(marker(5, 0, commit=False), 0, from_client=False)
    fill(h, 20, 5)
    assert h.clean()
    data = b"".join(bytes(b) for b in h.log.read(0, 1 << 30).buffers)
    assert any(bh.records_count == 0 for _p, bh in iter_batches(data))  # producer 5's last batch
    follower = Log(tmp_path / "follower" / f"{TOPIC}-0", h.config, ManualClock())
    follower.append_as_follower(memoryview(bytearray(data)))
    assert follower.log_end_offset == h.log.log_end_offset
    assert read_all(follower) == read_all(h.log)


def test_producer_state_survives_cleaning_and_a_reload(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    raw = build_batch(
        [SimpleRecord(b"a", b"1")],
        timestamp=h.clock.now_ms(),
        producer_id=7,
        producer_epoch=0,
        base_sequence=0,
    )
    h.log.append_as_leader(memoryview(bytearray(raw)), 0)
    fill(h, 20, 1)  # supersedes "key-0" only; "a" is superseded next
    h.put(b"a", b"2")
    fill(h, 20, 1, "w")
    assert h.clean()
    data = b"".join(bytes(b) for b in h.log.read(0, 1 << 20).buffers)
    first = next(iter_batches(data))[1]
    assert (first.producer_id, first.records_count) == (7, 0)  # emptied, kept for pid 7
    # replaying the cleaned log's headers still finds producer 7 and its last sequence
    replayed = ProducerStateManager(tmp_path / "replay")
    replayed.replay([(bh, None) for _p, bh in iter_batches(data)])
    assert replayed.producers[7].last_seq == 0
    h.restart(clean=False)
    gap = build_batch(
        [SimpleRecord(b"a", b"3")],
        timestamp=h.clock.now_ms(),
        producer_id=7,
        producer_epoch=0,
        base_sequence=5,
    )
    with pytest.raises(KafkaError) as info:
        h.log.append_as_leader(memoryview(bytearray(gap)), 0)
    assert info.value.code == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    nxt = build_batch(
        [SimpleRecord(b"a", b"3")],
        timestamp=h.clock.now_ms(),
        producer_id=7,
        producer_epoch=0,
        base_sequence=1,
    )
    assert h.log.append_as_leader(memoryview(bytearray(nxt)), 0).first_offset > 0


def test_dump_log_shows_a_cleaned_segment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from odradek.tools import dump_log

    h = Harness(tmp_path, compact_config(delete_retention_ms=5_000))
    h.log.append_as_leader(txn_batch(5, 0, 0, [(b"t", b"aborted")]), 0)
    h.log.append_as_leader(marker(5, 0, commit=False), 0, from_client=False)
    h.put(b"gone", None)
    fill(h, 20, 3)
    assert h.clean()
    first = h.log.segments()[0].log_path
    assert dump_log.main(["--files", str(first), "--deep-iteration", "--print-data-log"]) == 0
    out = capsys.readouterr().out
    assert "baseOffset: 0 lastOffset: 0 count: 0" in out  # producer 5's emptied last batch
    assert f"deleteHorizonMs: OptionalLong[{h.clock.now_ms() + 5_000}]" in out
    assert "endTxnMarker: ABORT" in out
