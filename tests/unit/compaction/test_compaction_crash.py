"""kill -9 at each phase of a clean, then restart: the log is consistent and nothing that was
not superseded is lost (faults injected through the cleaner's file-layer hooks)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from compaction_helpers import TOPIC, compact_config, latest, read_all

from odradek.common.clock import ManualClock
from odradek.storage.log_cleaner import LogCleaner
from odradek.storage.log_manager import LogManager

WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from odradek.common.clock import ManualClock
    from odradek.common.config import LogConfig
    from odradek.records.builder import SimpleRecord, build_batch
    from odradek.storage.log_cleaner import LogCleaner
    from odradek.storage.log_manager import LogManager

    phase = sys.argv[2]
    cfg = LogConfig(segment_bytes=2048, cleanup_policy=("compact",),
                    min_cleanable_dirty_ratio=0.01, delete_retention_ms=10**9)
    m = LogManager([Path(sys.argv[1])], cfg, ManualClock())
    m.startup()
    log = m.get_or_create_log("compacted", 0, cfg)
    for i in range(400):
        key = b"key-%d" % (i % 13)
        value = None if i % 17 == 0 else b"value-%d-" % i * 4
        raw = build_batch([SimpleRecord(key, value)], timestamp=i)
        log.append_as_leader(memoryview(bytearray(raw)), now_ms=i)

    def fault(at):
        if at == phase:
            os.kill(os.getpid(), signal.SIGKILL)

    cleaner = LogCleaner(m, dedupe_buffer_bytes=1 << 20, fault=fault)
    cleaner.clean_once()
    print("no crash", flush=True)
    """
)


def expected() -> tuple[dict[int, tuple[bytes, bytes | None]], dict[bytes, bytes | None]]:
    written: dict[int, tuple[bytes, bytes | None]] = {}
    for i in range(400):
        written[i] = (b"key-%d" % (i % 13), None if i % 17 == 0 else b"value-%d-" % i * 4)
    final: dict[bytes, bytes | None] = {}
    for key, value in written.values():
        final[key] = value
    return written, final


@pytest.mark.parametrize("phase", ["writing", "cleaned", "swap", "deleted", "renamed", "done"])
def test_kill9_during_a_clean_recovers_consistently(tmp_path: Path, phase: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(tmp_path), phase],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.returncode == -9, proc.stdout + proc.stderr
    part = tmp_path / f"{TOPIC}-0"
    leftovers = [p.name for p in part.iterdir() if p.name.endswith((".cleaned", ".swap"))]
    if phase in ("cleaned", "swap", "deleted"):
        assert leftovers, "the crash should leave the clean half done"
    cfg = compact_config()
    manager = LogManager([tmp_path], cfg, ManualClock())
    manager.startup()
    log = manager.get_log(TOPIC, 0)
    assert log is not None
    suffixes = (".cleaned", ".swap", ".deleted")
    assert not [p for p in part.iterdir() if p.name.endswith(suffixes)]
    written, final = expected()
    recs = read_all(log)
    offsets = [r.offset for r in recs]
    assert offsets == sorted(set(offsets))
    assert log.log_end_offset == 400
    for r in recs:  # every record is one that was written, at its offset
        assert (r.key, r.value) == written[r.offset]
    assert latest(recs) == final  # nothing lost that was not superseded
    if phase in ("renamed", "done"):
        assert len(recs) < 400  # the swap had completed
    cleaner = LogCleaner(manager, dedupe_buffer_bytes=1 << 20)
    cleaner.clean_once()
    assert latest(read_all(log)) == final
    manager.shutdown()
