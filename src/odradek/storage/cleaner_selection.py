"""Which log to clean next, and which part of it (Kafka's ``LogCleanerManager``).

For a log whose ``cleanup.policy`` contains ``compact``:

- **first dirty offset**: the ``cleaner-offset-checkpoint`` entry, clamped to
  ``[log start, log end]`` (no entry: the log start);
- **first uncleanable offset**: the lowest of the active segment's base, the last stable
  offset (no open transaction is cleaned), the high watermark and, with
  ``min.compaction.lag.ms``, the base of the first segment holding a record younger than the
  lag; only segments wholly below it are cleanable — the active segment never is;
- **dirty ratio**: dirty bytes / (clean + dirty bytes) over the cleanable segments;
- a log is a candidate when its ratio exceeds ``min.cleanable.dirty.ratio`` or when its oldest
  dirty record is older than ``max.compaction.lag.ms`` (it must be cleaned now);
  the candidate with the highest ratio is chosen (forced ones first).

Runs on the event loop thread: it reads only in-memory segment metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

from odradek.common.config import LONG_MAX
from odradek.storage.cleaner import CleanPlan, SegmentInfo
from odradek.storage.log import Log
from odradek.storage.segment import LogSegment


@dataclass(frozen=True, slots=True)
class LogToClean:
    log: Log
    first_dirty: int
    clean_bytes: int
    dirty_bytes: int
    cleanable: tuple[LogSegment, ...]
    end_offset: int
    forced: bool

    @property
    def ratio(self) -> float:
        total = self.clean_bytes + self.dirty_bytes
        return self.dirty_bytes / total if total else 0.0


def first_uncleanable_offset(lg: Log, now_ms: int) -> int:
    bound = min(lg.active.base_offset, lg.last_stable_offset, lg.high_watermark)
    lag = lg.config.min_compaction_lag_ms
    if lag > 0:
        for seg in lg.segments():
            if seg.base_offset >= bound:
                break
            if seg.max_timestamp > now_ms - lag:
                return seg.base_offset
    return bound


def cleanable_section(lg: Log, first_dirty: int | None, now_ms: int) -> LogToClean:
    """The cleanable segments of ``lg`` and their clean/dirty split."""
    start, end = lg.log_start_offset, lg.log_end_offset
    dirty_from = start if first_dirty is None else max(start, min(first_dirty, end))
    uncleanable = first_uncleanable_offset(lg, now_ms)
    segs = lg.segments()
    cleanable: list[LogSegment] = []
    clean = dirty = 0
    oldest_dirty_ts: int | None = None
    for i, seg in enumerate(segs[:-1]):
        nxt = segs[i + 1].base_offset
        if nxt > uncleanable:
            break
        cleanable.append(seg)
        if nxt <= dirty_from:
            clean += seg.size
        else:
            dirty += seg.size
            ts = seg.load_first_batch_timestamp() if seg.size else None
            if oldest_dirty_ts is None and ts is not None and ts >= 0:
                oldest_dirty_ts = ts
    end_offset = segs[len(cleanable)].base_offset
    max_lag = lg.config.max_compaction_lag_ms
    forced = (
        dirty > 0
        and max_lag < LONG_MAX
        and oldest_dirty_ts is not None
        and now_ms - oldest_dirty_ts > max_lag
    )
    return LogToClean(lg, dirty_from, clean, dirty, tuple(cleanable), end_offset, forced)


def choose_filthiest(candidates: list[LogToClean]) -> LogToClean | None:
    ready = [
        c
        for c in candidates
        if c.dirty_bytes > 0 and (c.forced or c.ratio > c.log.config.min_cleanable_dirty_ratio)
    ]
    if not ready:
        return None
    return max(ready, key=lambda c: (c.forced, c.ratio))


def make_plan(c: LogToClean, now_ms: int) -> CleanPlan:
    lg = c.log
    last_offsets = {
        pid: e.batches[-1].last_offset
        for pid, e in lg.txns.producers.producers.items()
        if e.batches
    }
    return CleanPlan(
        topic=lg.topic,
        partition=lg.partition,
        dir=lg.dir,
        config=lg.config,
        segments=tuple(SegmentInfo.of(s) for s in c.cleanable),
        end_offset=c.end_offset,
        first_dirty=c.first_dirty,
        now_ms=now_ms,
        aborted=tuple(lg.txns.aborted.entries),
        producer_last_offsets=last_offsets,
    )
