"""Helpers shared by the storage unit tests."""

from __future__ import annotations

from pathlib import Path

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.records.builder import SimpleRecord, build_batch
from odradek.storage.log import Log


def batch(n: int = 1, ts: int = 1_000, value_size: int = 50, tag: int = 0, **kw: object) -> bytes:
    recs = [
        SimpleRecord(b"k%d-%d" % (tag, i), bytes([65 + tag % 26]) * value_size, (), ts + i)
        for i in range(n)
    ]
    return build_batch(recs, **kw)  # type: ignore[arg-type]


def mv(raw: bytes) -> memoryview:
    return memoryview(bytearray(raw))


def open_log(
    path: Path, config: LogConfig | None = None, clock: ManualClock | None = None, **kw: object
) -> Log:
    return Log(path, config or LogConfig(), clock or ManualClock(), **kw)  # type: ignore[arg-type]


def joined(log: Log, start: int = 0, max_bytes: int = 1 << 30) -> bytes:
    return b"".join(bytes(b) for b in log.read(start, max_bytes).buffers)
