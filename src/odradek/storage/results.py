"""Values returned by Log: AppendInfo (produce) and FetchData (fetch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AppendInfo:
    first_offset: int
    last_offset: int
    log_append_time: int  # -1 unless message.timestamp.type=LogAppendTime
    log_start_offset: int
    record_count: int


@dataclass(slots=True)
class FetchData:
    buffers: list[bytes | memoryview]  # whole batches, in order, not joined
    size: int  # total bytes in buffers
    high_watermark: int
    log_start_offset: int
    log_end_offset: int
