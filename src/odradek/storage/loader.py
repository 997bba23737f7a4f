"""Loading a partition directory into segments, with Kafka's recovery rules.

Steps, as Kafka's ``LogLoader``:

1. Finish or roll back an interrupted cleaner swap (``swap.recover_swaps``), then remove
   leftovers of interrupted operations: ``*.deleted``, ``*.cleaned``, ``*.swap``, ``*.tmp``
   files, and index files whose ``.log`` is gone.
2. Open every ``<20-digit base offset>.log`` in offset order.
3. Clean shutdown (marker present): trust each segment's indexes and only read the tail after
   the last index entry to find the next offset. A segment whose index is missing or fails its
   sanity check is recovered (rebuilt) anyway.
4. Unclean shutdown: every segment that may hold offsets at or after the recovery point — and
   always the active (last) segment — is recovered batch by batch (see ``recovery``).
   At the first invalid batch the segment is truncated there and **every later segment is
   deleted**, since offsets after a hole cannot be trusted. Segments wholly below the recovery
   point were fsynced before the point was checkpointed and are trusted, like Kafka; if one of
   them is damaged anyway, reads that reach the damage raise ``KAFKA_STORAGE_ERROR`` (headers
   are checked on every read) rather than serving garbage, and the damage is logged at ERROR.
5. An empty directory gets one empty segment at the log start offset.

Every truncation, rebuild and deletion is logged and returned as a human-readable line.
"""

from __future__ import annotations

import logging
from pathlib import Path

from odradek.common.config import LogConfig
from odradek.storage.recovery import recover_segment
from odradek.storage.segment import LogSegment
from odradek.storage.swap import recover_swaps

log = logging.getLogger(__name__)

_LEFTOVER_SUFFIXES = (".deleted", ".cleaned", ".swap", ".tmp")
_SEGMENT_SUFFIXES = (".log", ".index", ".timeindex", ".txnindex")


def _base_offset_of(name: str) -> int | None:
    stem = name.split(".", 1)[0]
    return int(stem) if len(stem) == 20 and stem.isdigit() else None


def _clean_leftovers(dir: Path) -> set[int]:
    """Delete leftovers; return the base offsets of ``.log`` files present."""
    bases: set[int] = set()
    for p in dir.iterdir():
        if p.name.endswith(_LEFTOVER_SUFFIXES):
            p.unlink(missing_ok=True)
        elif p.suffix == ".log" and (base := _base_offset_of(p.name)) is not None:
            bases.add(base)
    for p in dir.iterdir():
        base = _base_offset_of(p.name)
        if base is not None and p.suffix in _SEGMENT_SUFFIXES[1:] and base not in bases:
            p.unlink(missing_ok=True)
    return bases


def open_segment(dir: Path, base: int, config: LogConfig, now_ms: int) -> LogSegment:
    return LogSegment(
        dir, base, config.index_interval_bytes, config.segment_index_bytes, created_ms=now_ms
    )


def load_segments(
    dir: Path,
    config: LogConfig,
    now_ms: int,
    *,
    recovery_point: int,
    log_start_offset: int,
    clean: bool,
) -> tuple[list[LogSegment], list[str]]:
    """Open and (if needed) recover the segments of ``dir``; returns segments and a report."""
    report: list[str] = recover_swaps(dir)
    bases = sorted(_clean_leftovers(dir))
    segments = [open_segment(dir, b, config, now_ms) for b in bases]
    recover_from = len(segments) - 1
    if not clean:
        for i in range(len(segments)):
            upper = bases[i + 1] if i + 1 < len(bases) else None
            if upper is None or upper > recovery_point:
                recover_from = i
                break
    i = 0
    while i < len(segments):
        seg = segments[i]
        if not clean and i >= recover_from:
            result = recover_segment(seg)
            what = "recovered"
        elif seg.load_indexes(bases[i + 1] if i + 1 < len(segments) else None):
            i += 1
            continue
        else:
            result = recover_segment(seg)
            what = "rebuilt missing or corrupt index of"
            report.append(f"{dir.name}: {what} segment {seg.base_offset}")
            log.warning("%s", report[-1])
        if result.truncated_bytes:
            line = (
                f"{dir.name}: {what} segment {seg.base_offset}: truncated "
                f"{result.truncated_bytes} bytes at position {result.valid_bytes} "
                f"({result.reason}); next offset {seg.next_offset}"
            )
            report.append(line)
            log.warning("%s", line)
            for later in segments[i + 1 :]:
                line = f"{dir.name}: deleted segment {later.base_offset} after corruption"
                report.append(line)
                log.warning("%s", line)
                later.delete()
            del segments[i + 1 :]
        i += 1
    if not segments:
        segments.append(open_segment(dir, log_start_offset, config, now_ms))
    for seg in segments:
        seg.flush()
    for seg in segments[:-1]:
        seg.release_index_files()
    return segments, report
