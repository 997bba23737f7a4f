"""The on-disk database: restore (snapshot + log replay) and autopurge of old files."""

from __future__ import annotations

import contextlib
from pathlib import Path

from odradek.zk.snapshot import newest_valid
from odradek.zk.tree import DataTree
from odradek.zk.txnlog import read_txns, sorted_files


def restore(snap_dir: Path, log_dir: Path) -> tuple[DataTree, int]:
    """The tree as of the last logged txn, and how many txns were replayed."""
    found = newest_valid(snap_dir)
    tree = found[1] if found else DataTree()
    start = found[0] if found else 0
    replayed = 0
    for txn in read_txns(log_dir, start):
        tree.apply(txn)
        replayed += 1
    return tree, replayed


def purge(snap_dir: Path, log_dir: Path, retain: int) -> list[Path]:
    """Keep the ``retain`` newest snapshots (at least 3) and the logs they still need."""
    retain = max(3, retain)
    snaps = sorted_files(snap_dir, "snapshot")
    if len(snaps) <= retain:
        return []
    doomed = [p for _z, p in snaps[:-retain]]
    oldest_kept = snaps[-retain][0]
    logs = sorted_files(log_dir, "log")
    # the newest log starting at or before the oldest kept snapshot still holds needed txns
    keep_from = 0
    for i, (z, _p) in enumerate(logs):
        if z <= oldest_kept + 1:
            keep_from = i
    doomed += [p for _z, p in logs[:keep_from]]
    for p in doomed:
        with contextlib.suppress(OSError):
            p.unlink()
    return doomed
