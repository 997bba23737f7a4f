"""Kafka's text checkpoint files, written atomically (temp file, fsync, rename, fsync dir).

Format: a version line (``0``), an entry-count line, then one entry per line with
space-separated fields. Used for ``recovery-point-offset-checkpoint`` and
``log-start-offset-checkpoint`` (entries ``topic partition offset``, in the data dir root)
and ``leader-epoch-checkpoint`` (entries ``epoch startOffset``, in each partition dir).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

VERSION = 0
RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint"
LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint"
LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint"
CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown"


def write_lines(path: Path, entries: Iterable[Iterable[object]]) -> None:
    """Atomically replace ``path`` with a version-0 checkpoint of ``entries``."""
    rows = [" ".join(str(f) for f in e) for e in entries]
    text = f"{VERSION}\n{len(rows)}\n" + "".join(r + "\n" for r in rows)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        data = text.encode()
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_lines(path: Path) -> list[list[str]]:
    """Entries of a checkpoint file; a missing or malformed file yields ``[]`` (logged)."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    try:
        if int(lines[0]) != VERSION:
            raise ValueError(f"unknown version {lines[0]}")
        count = int(lines[1])
        rows = [ln.split() for ln in lines[2 : 2 + count]]
        if len(rows) != count:
            raise ValueError("fewer entries than announced")
        return rows
    except (ValueError, IndexError) as exc:
        log.error("malformed checkpoint file %s: %s", path, exc)
        return []


def write_offsets(path: Path, offsets: dict[tuple[str, int], int]) -> None:
    write_lines(path, ((t, p, o) for (t, p), o in sorted(offsets.items())))


def read_offsets(path: Path) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for row in read_lines(path):
        if len(row) == 3:
            try:
                out[(row[0], int(row[1]))] = int(row[2])
            except ValueError:
                log.error("bad entry in %s: %s", path, row)
    return out


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
