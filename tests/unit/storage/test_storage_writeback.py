"""Writeback pacing: every PACE_BYTES appended to a segment, writeback of exactly the bytes
appended since the last call is queued; truncation moves the mark back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from storage_helpers import batch, mv, open_log

from odradek.common.config import LogConfig
from odradek.storage import segment as segment_mod
from odradek.storage import writeback


def test_pacing_covers_every_appended_byte_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(segment_mod, "start_writeback", lambda fd, off, n: calls.append((off, n)))
    log = open_log(tmp_path / "t-0", LogConfig(segment_bytes=1 << 30))
    one = batch(200, value_size=1000)  # ~200 KB per append
    for _ in range(100):
        log.append_as_leader(mv(one), now_ms=0)
    size = log.active.size
    assert calls, "no writeback queued after ~20 MB"
    assert all(n >= writeback.PACE_BYTES for _, n in calls)
    # contiguous ranges from 0, none past the end
    pos = 0
    for off, n in calls:
        assert off == pos
        pos += n
    assert size - pos < writeback.PACE_BYTES
    log.truncate_to(10)
    calls.clear()
    for _ in range(50):
        log.append_as_leader(mv(one), now_ms=0)
    assert calls and calls[0][0] <= log.active.size


def test_start_writeback_on_a_real_file(tmp_path: Path) -> None:
    fd = os.open(tmp_path / "f", os.O_CREAT | os.O_RDWR)
    try:
        os.write(fd, b"x" * 65536)
        writeback.start_writeback(fd, 0, 65536)  # queues writeback; must not raise
        writeback.start_writeback(fd, 0, 0)
    finally:
        os.close(fd)
    assert (tmp_path / "f").stat().st_size == 65536
