"""Crash-safe replacement of a group of segments by their cleaned copy, and its recovery.

The cleaner writes the cleaned segment under ``<base>.log.cleaned`` (plus ``.index``,
``.timeindex``, ``.txnindex`` with the same suffix), fsyncs it, then ``swap_in`` runs, as
Kafka's ``replaceSegments``:

1. every ``.cleaned`` file is renamed to ``.swap`` (indexes first, ``.log`` last), dir fsynced;
2. every file of the old segments is renamed to ``<name>.deleted``, dir fsynced;
3. every ``.swap`` file is renamed to its final name (indexes first), dir fsynced;
4. the Log's segment list is updated and the ``.deleted`` files are removed.

Recovery on start (``recover_swaps``, before the loader drops other leftovers): ``.cleaned``
files are an unfinished clean and are deleted. A ``<base>.log.swap`` is a finished clean: the
old segments whose base offset lies in ``[base, next offset of the swap)`` — the range the
cleaned segment covers — are deleted and the ``.swap`` files take their final names. An index
``.swap`` whose ``.log.swap`` is gone is dropped (the index is rebuilt). ``.deleted`` files
are removed. Every state between the phases therefore recovers to either the old segments or
the cleaned one, and old segments past the cleaned range only ever hold superseded records.

``fault`` hooks are called with the phase name after each step, so tests can crash there.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from odradek.records.batch import HEADER_SIZE, read_header
from odradek.storage.checkpoint import fsync_dir
from odradek.storage.segment import LogSegment, segment_name

log = logging.getLogger(__name__)

CLEANED, SWAP, DELETED = ".cleaned", ".swap", ".deleted"
INDEX_SUFFIXES = (".index", ".timeindex", ".txnindex")
FaultHook = Callable[[str], None]


def segment_files(dir: Path, base: int, suffix: str = "") -> list[Path]:
    """The files of a segment, indexes first and ``.log`` last."""
    stem = segment_name(base)
    return [dir / f"{stem}{ext}{suffix}" for ext in (*INDEX_SUFFIXES, ".log")]


def _rename_all(paths: list[Path], old_suffix: str, new_suffix: str) -> None:
    for p in paths:
        target = p.with_name(p.name[: len(p.name) - len(old_suffix)] + new_suffix)
        with contextlib.suppress(FileNotFoundError):
            os.rename(p, target)


def discard_cleaned(dir: Path, base: int) -> None:
    for p in segment_files(dir, base, CLEANED):
        p.unlink(missing_ok=True)


def swap_in(
    dir: Path, old: list[LogSegment], new_base: int, fault: FaultHook | None = None
) -> list[Path]:
    """Phases 1-3 for cleaned files of ``new_base`` replacing ``old``; returns the
    ``.deleted`` paths, which the caller removes once the Log uses the new segment."""
    _rename_all(segment_files(dir, new_base, CLEANED), CLEANED, SWAP)
    fsync_dir(dir)
    if fault:
        fault("swap")
    doomed: list[Path] = []
    for seg in old:
        seg.close_unclean()
        for p in segment_files(dir, seg.base_offset):
            if p.exists():
                os.rename(p, p.with_name(p.name + DELETED))
                doomed.append(p.with_name(p.name + DELETED))
    fsync_dir(dir)
    if fault:
        fault("deleted")
    _rename_all(segment_files(dir, new_base, SWAP), SWAP, "")
    fsync_dir(dir)
    if fault:
        fault("renamed")
    return doomed


def remove_deleted(paths: list[Path]) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def _next_offset(path: Path, base: int) -> int:
    """One past the last offset of the batches in a segment file (headers only)."""
    nxt = base
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        pos = 0
        while pos + HEADER_SIZE <= size:
            head = os.pread(f.fileno(), HEADER_SIZE, pos)
            if len(head) < HEADER_SIZE:
                break
            h = read_header(head)
            if h.magic != 2 or h.size < HEADER_SIZE or pos + h.size > size:
                break
            nxt = h.next_offset
            pos += h.size
    return nxt


def _base_of(name: str) -> int | None:
    stem = name.split(".", 1)[0]
    return int(stem) if len(stem) == 20 and stem.isdigit() else None


def recover_swaps(dir: Path) -> list[str]:
    """Finish or roll back interrupted swaps in a partition dir; returns report lines."""
    report: list[str] = []
    names = sorted(p.name for p in dir.iterdir())
    for name in names:
        if name.endswith(CLEANED) or name.endswith(DELETED):
            (dir / name).unlink(missing_ok=True)
    for name in names:
        base = _base_of(name)
        if base is None or not name.endswith(".log" + SWAP):
            continue
        nxt = _next_offset(dir / name, base)
        for other in sorted(dir.glob("*.log")):
            ob = _base_of(other.name)
            if ob is not None and (ob == base or base <= ob < nxt):
                for p in segment_files(dir, ob):
                    p.unlink(missing_ok=True)
                report.append(f"{dir.name}: deleted segment {ob} replaced by cleaned segment")
        _rename_all(segment_files(dir, base, SWAP), SWAP, "")
        report.append(f"{dir.name}: completed swap of cleaned segment {base} (next {nxt})")
    for p in dir.glob("*" + SWAP):
        p.unlink(missing_ok=True)  # an index swap whose .log.swap is gone
    if report:
        fsync_dir(dir)
        for line in report:
            log.warning("%s", line)
    return report
