"""LeaderEpochFileCache: (leader epoch → start offset) entries, ``leader-epoch-checkpoint``.

An entry ``(epoch, start_offset)`` says the leader of ``epoch`` wrote its first batch at
``start_offset``. Entries are strictly increasing in both fields. The log truncates the cache
from the end when it truncates, and from the start when its log start offset moves.
"""

from __future__ import annotations

from pathlib import Path

from odradek.storage.checkpoint import LEADER_EPOCH_CHECKPOINT, read_lines, write_lines


class LeaderEpochFileCache:
    def __init__(self, dir: Path) -> None:
        self.path = dir / LEADER_EPOCH_CHECKPOINT
        self.entries: list[tuple[int, int]] = []
        for row in read_lines(self.path):
            if len(row) == 2 and row[0].lstrip("-").isdigit() and row[1].lstrip("-").isdigit():
                self.entries.append((int(row[0]), int(row[1])))

    @property
    def latest_epoch(self) -> int:
        return self.entries[-1][0] if self.entries else -1

    def assign(self, epoch: int, start_offset: int) -> None:
        """Record that ``epoch`` starts at ``start_offset`` (ignored unless it is newer)."""
        if epoch < 0 or (self.entries and epoch <= self.entries[-1][0]):
            return
        while self.entries and self.entries[-1][1] >= start_offset:
            self.entries.pop()
        self.entries.append((epoch, start_offset))
        self._flush()

    def end_offset_for(self, epoch: int, log_end_offset: int) -> tuple[int, int]:
        """OffsetForLeaderEpoch: ``(largest epoch <= epoch, its end offset)``, or (-1, -1)."""
        if not self.entries or epoch < self.entries[0][0]:
            return -1, -1
        for i, (e, _start) in enumerate(self.entries):
            nxt = self.entries[i + 1] if i + 1 < len(self.entries) else None
            if nxt is None or nxt[0] > epoch:
                return e, (log_end_offset if nxt is None else nxt[1])
        return -1, -1

    def truncate_from_end(self, end_offset: int) -> None:
        """Drop entries starting at or after ``end_offset``."""
        kept = [e for e in self.entries if e[1] < end_offset]
        if kept != self.entries:
            self.entries = kept
            self._flush()

    def truncate_from_start(self, start_offset: int) -> None:
        """Drop entries wholly below ``start_offset``; the one covering it starts there."""
        keep: list[tuple[int, int]] = []
        for i, (e, s) in enumerate(self.entries):
            nxt = self.entries[i + 1][1] if i + 1 < len(self.entries) else None
            if nxt is not None and nxt <= start_offset:
                continue
            keep.append((e, max(s, start_offset)))
        if keep != self.entries:
            self.entries = keep
            self._flush()

    def clear(self) -> None:
        self.entries = []
        self._flush()

    def _flush(self) -> None:
        write_lines(self.path, self.entries)
