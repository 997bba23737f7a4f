"""Helpers shared by the compaction tests: keyed appends, reading back, a cleaner per log."""

from __future__ import annotations

import struct
from pathlib import Path

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.records.batch import iter_batches
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.record import Record, iter_records
from odradek.storage.log import Log
from odradek.storage.log_cleaner import LogCleaner
from odradek.storage.log_manager import LogManager

TOPIC = "compacted"


def compact_config(**kw: object) -> LogConfig:
    base: dict[str, object] = {
        "segment_bytes": 2048,
        "cleanup_policy": ("compact",),
        "min_cleanable_dirty_ratio": 0.01,
        "delete_retention_ms": 1_000_000,
    }
    base.update(kw)
    return LogConfig(**base)  # type: ignore[arg-type]


class Harness:
    """A LogManager with one compacted log, a manual clock and a LogCleaner."""

    def __init__(self, dir: Path, config: LogConfig | None = None, **cleaner_kw: object) -> None:
        self.dir = dir
        self.config = config or compact_config()
        self.clock = ManualClock()
        self.cleaner_kw = cleaner_kw
        self.open()

    def open(self) -> None:
        self.manager = LogManager([self.dir], self.config, self.clock)
        self.manager.startup()
        self.log: Log = self.manager.get_or_create_log(TOPIC, 0, self.config)
        self.cleaner = LogCleaner(self.manager, dedupe_buffer_bytes=1 << 20, **self.cleaner_kw)  # type: ignore[arg-type]

    def restart(self, clean: bool = True) -> None:
        if clean:
            self.manager.shutdown()
        else:
            self.log.abandon()
        self.open()

    def put(
        self,
        key: bytes | None,
        value: bytes | None,
        *,
        ts: int | None = None,
        codec: int = 0,
        headers: tuple[tuple[str, bytes | None], ...] = (),
    ) -> int:
        now = self.clock.now_ms()
        raw = build_batch(
            [SimpleRecord(key, value, headers)], timestamp=now if ts is None else ts, codec=codec
        )
        return self.log.append_as_leader(memoryview(bytearray(raw)), now).first_offset

    def put_batch(
        self, records: list[SimpleRecord], codec: int = 0, raw: bytes | None = None
    ) -> int:
        now = self.clock.now_ms()
        data = raw if raw is not None else build_batch(records, timestamp=now, codec=codec)
        return self.log.append_as_leader(memoryview(bytearray(data)), now).first_offset

    def clean(self) -> bool:
        return self.cleaner.clean_once() is not None


def read_all(log: Log, start: int | None = None) -> list[Record]:
    out: list[Record] = []
    first = log.log_start_offset if start is None else start
    for buf in log.read(first, 1 << 30).buffers:
        data = bytes(buf)
        for pos, h in iter_batches(data):
            out.extend(iter_records(data[pos : pos + h.size]))
    return out


def latest(records: list[Record]) -> dict[bytes | None, bytes | None]:
    out: dict[bytes | None, bytes | None] = {}
    for r in records:
        out[r.key] = r.value
    return out


def marker(pid: int, epoch: int, commit: bool) -> memoryview:
    raw = build_batch(
        [SimpleRecord(struct.pack(">hh", 0, 1 if commit else 0), struct.pack(">hi", 0, 0))],
        timestamp=0,
        producer_id=pid,
        producer_epoch=epoch,
        transactional=True,
        control=True,
    )
    return memoryview(bytearray(raw))


def txn_batch(pid: int, epoch: int, seq: int, items: list[tuple[bytes, bytes]]) -> memoryview:
    raw = build_batch(
        [SimpleRecord(k, v) for k, v in items],
        timestamp=0,
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        transactional=True,
    )
    return memoryview(bytearray(raw))
