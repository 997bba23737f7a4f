"""The ``cleaner-offset-checkpoint`` file of a data dir: each compacted log's first dirty offset.

Kafka's format (see ``checkpoint``): version 0, a count, then ``topic partition offset`` lines.
Everything below a log's entry has been cleaned at least once; the next clean maps the section
from there on. A missing or stale entry only means more work: the cleaner clamps it to the
log start offset and never trusts it past the log end.
"""

from __future__ import annotations

from pathlib import Path

from odradek.storage.checkpoint import read_offsets, write_offsets

CLEANER_CHECKPOINT = "cleaner-offset-checkpoint"


class CleanerCheckpoints:
    """First dirty offsets of the logs of several data dirs, each in its own file."""

    def __init__(self) -> None:
        self._by_dir: dict[Path, dict[tuple[str, int], int]] = {}

    def _load(self, data_dir: Path) -> dict[tuple[str, int], int]:
        got = self._by_dir.get(data_dir)
        if got is None:
            got = read_offsets(data_dir / CLEANER_CHECKPOINT)
            self._by_dir[data_dir] = got
        return got

    def get(self, data_dir: Path, tp: tuple[str, int]) -> int | None:
        return self._load(data_dir).get(tp)

    def update(self, data_dir: Path, tp: tuple[str, int], offset: int) -> None:
        """Record ``offset`` as ``tp``'s first dirty offset and rewrite the file atomically."""
        offsets = self._load(data_dir)
        offsets[tp] = offset
        write_offsets(data_dir / CLEANER_CHECKPOINT, offsets)

    def remove_missing(self, data_dir: Path, present: set[tuple[str, int]]) -> None:
        """Forget logs that no longer exist (deleted topics)."""
        offsets = self._load(data_dir)
        gone = [tp for tp in offsets if tp not in present]
        if gone:
            for tp in gone:
                del offsets[tp]
            write_offsets(data_dir / CLEANER_CHECKPOINT, offsets)
