"""cleanup.policy: delete (time and size retention), compact (no deletion), compact,delete."""

from __future__ import annotations

from pathlib import Path

from compaction_helpers import Harness, compact_config, latest, read_all


def fill(h: Harness, n: int, keys: int = 5, step_ms: int = 0) -> None:
    for i in range(n):
        h.put(b"key-%d" % (i % keys), b"value-%d-" % i * 5)
        h.clock.advance(step_ms)


def test_delete_policy_time_retention_removes_old_segments_only(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(cleanup_policy=("delete",), retention_ms=5_000))
    fill(h, 100, step_ms=100)  # 10 s of data
    segments = len(h.log.segments())
    h.log.apply_retention(h.clock.now_ms())
    assert len(h.log.segments()) < segments
    now = h.clock.now_ms()
    for seg in h.log.segments()[:-1]:
        assert now - seg.largest_timestamp() <= 5_000
    assert not h.clean()  # the cleaner leaves delete-only logs alone
    assert h.log.log_start_offset > 0


def test_delete_policy_size_retention(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(cleanup_policy=("delete",), retention_bytes=6_000))
    fill(h, 200)
    h.log.apply_retention(h.clock.now_ms())
    assert h.log.size_bytes() - h.log.active.size <= 6_000
    assert h.log.log_end_offset == 200


def test_compact_only_never_deletes_by_retention(tmp_path: Path) -> None:
    h = Harness(tmp_path, compact_config(retention_ms=1, retention_bytes=1))
    fill(h, 100, step_ms=100)
    h.log.apply_retention(h.clock.now_ms())
    assert h.log.log_start_offset == 0
    assert h.clean()
    assert latest(read_all(h.log)) == {b"key-%d" % k: b"value-%d-" % (95 + k) * 5 for k in range(5)}


def test_compact_delete_cleans_and_retains_by_time(tmp_path: Path) -> None:
    cfg = compact_config(cleanup_policy=("compact", "delete"), retention_ms=5_000)
    h = Harness(tmp_path, cfg)
    h.put(b"old-only", b"written long ago")
    h.clock.advance(60_000)
    fill(h, 100, step_ms=10)
    assert h.clean()
    got = latest(read_all(h.log))
    assert got[b"old-only"] == b"written long ago"  # compaction keeps a key's only value
    h.log.apply_retention(h.clock.now_ms())
    got = latest(read_all(h.log))
    assert b"old-only" not in got  # ...but time retention deletes its segment
    assert got[b"key-4"] == b"value-99-" * 5


def test_compact_delete_size_retention_after_cleaning(tmp_path: Path) -> None:
    cfg = compact_config(cleanup_policy=("compact", "delete"), retention_bytes=3_000)
    h = Harness(tmp_path, cfg)
    for i in range(60):
        h.put(b"unique-%d" % i, b"x" * 100)
    fill(h, 60)
    assert h.clean()
    h.log.apply_retention(h.clock.now_ms())
    assert h.log.size_bytes() - h.log.active.size <= 3_000
    assert h.log.log_start_offset > 0
    recs = read_all(h.log)
    offsets = [r.offset for r in recs]
    assert offsets == sorted(set(offsets)) and offsets[0] >= h.log.log_start_offset
    assert latest(recs)[b"key-4"] == b"value-59-" * 5
