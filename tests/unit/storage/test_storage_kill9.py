"""kill -9 of a process that is appending: every acknowledged batch survives recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.records.batch import iter_batches, validate_batch
from odradek.storage.log_manager import LogManager

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from odradek.common.clock import SystemClock
    from odradek.common.config import LogConfig
    from odradek.records.builder import SimpleRecord, build_batch
    from odradek.storage.log_manager import LogManager

    m = LogManager([Path(sys.argv[1])], LogConfig(segment_bytes=64 * 1024), SystemClock())
    m.startup()
    log = m.get_or_create_log("kill", 0, LogConfig(segment_bytes=64 * 1024))
    for i in range(1_000_000):
        raw = build_batch([SimpleRecord(b"k", b"x" * (i % 700))], timestamp=i)
        info = log.append_as_leader(memoryview(bytearray(raw)), now_ms=i)
        print(info.last_offset, flush=True)
    """
)


def test_acknowledged_appends_survive_kill9(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    acked = -1
    deadline = time.monotonic() + 30
    try:
        assert proc.stdout is not None
        while acked < 300 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked = int(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert acked >= 300, "writer did not get going"
    m = LogManager([tmp_path], LogConfig(segment_bytes=64 * 1024), ManualClock())
    m.startup()
    log = m.get_log("kill", 0)
    assert log is not None
    assert log.log_end_offset >= acked + 1
    assert len(log.segments()) > 1
    data = b"".join(bytes(b) for b in log.read(0, 1 << 30).buffers)
    expected = 0
    for pos, _h in iter_batches(data):
        h = validate_batch(data, pos, len(data) - pos)
        assert h.base_offset == expected
        expected = h.next_offset
    assert expected == log.log_end_offset
