"""The transaction log: append-only files ``log.<hex zxid of first txn>`` in dataLogDir.

Format (Apache-like): a 16-byte file header (magic ``ZKLG``, version 2, dbid 0), then entries
``long adler32(txn) | int len | txn bytes | 0x42``. Files are preallocated (extended with zeros
in ``prealloc`` steps) so appends do not grow the file metadata on each fsync; a reader stops at
the first zero length, short entry or bad checksum (the unacknowledged tail of a crash). The
server fsyncs a batch of txns before any reply that depends on them leaves (group commit), and
every start writes a new file, so a torn tail is never appended to.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from odradek.zk.txn import Txn, decode_txn, encode_txn

MAGIC = b"ZKLG"
VERSION = 2
FILE_HEADER = struct.Struct(">4siq")
ENTRY_HEAD = struct.Struct(">qi")
EOR = b"B"
DEFAULT_PREALLOC = 64 * 1024 * 1024
_NAME = re.compile(r"^(log|snapshot)\.([0-9a-f]+)$")


def zxid_of(path: Path, prefix: str) -> int | None:
    m = _NAME.match(path.name)
    if m is None or m.group(1) != prefix:
        return None
    return int(m.group(2), 16)


def sorted_files(directory: Path, prefix: str) -> list[tuple[int, Path]]:
    out = []
    if directory.is_dir():
        for p in directory.iterdir():
            z = zxid_of(p, prefix)
            if z is not None:
                out.append((z, p))
    return sorted(out)


def datasync(fd: int) -> None:
    """Flush file data (the file is preallocated, so its size does not change on appends:
    ``fdatasync`` suffices, as Apache's ``FileChannel.force(false)``)."""
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:  # pragma: no cover - platforms without fdatasync
        os.fsync(fd)


class TxnLog:
    """Appends encoded txns to the current log file; the caller decides when to fsync."""

    def __init__(self, directory: Path, prealloc: int = DEFAULT_PREALLOC) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.prealloc = max(4096, prealloc)
        self.fd = -1
        self.path: Path | None = None
        self.pos = 0
        self.size = 0
        self.pending = bytearray()
        self.count_in_file = 0

    def append(self, txn: Txn) -> None:
        if self.fd < 0:
            self._open(txn.zxid)
        raw = encode_txn(txn)
        self.pending += ENTRY_HEAD.pack(zlib.adler32(raw), len(raw))
        self.pending += raw
        self.pending += EOR
        self.count_in_file += 1

    def _open(self, zxid: int) -> None:
        self.path = self.dir / f"log.{zxid:x}"
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        header = FILE_HEADER.pack(MAGIC, VERSION, 0)
        os.write(self.fd, header)
        self.pos = len(header)
        self.size = 0
        self.count_in_file = 0
        self._grow(self.pos)

    def _grow(self, needed: int) -> None:
        if needed + 4096 > self.size:
            self.size = ((needed + 4096) // self.prealloc + 1) * self.prealloc
            os.ftruncate(self.fd, self.size)

    def write_pending(self) -> int:
        """Write buffered entries to the file (no fsync); returns the fd to fsync, or -1."""
        if not self.pending:
            return -1
        data = bytes(self.pending)
        self.pending.clear()
        self._grow(self.pos + len(data))
        os.pwrite(self.fd, data, self.pos)
        self.pos += len(data)
        return self.fd

    def sync(self) -> None:
        fd = self.write_pending()
        if fd >= 0:
            datasync(fd)

    def roll(self) -> None:
        """Close the current file; the next append starts a new one."""
        self.sync()
        if self.fd >= 0:
            os.close(self.fd)
        self.fd = -1

    def close(self) -> None:
        self.roll()


def read_log_file(path: Path) -> Iterator[Txn]:
    data = path.read_bytes()
    if len(data) < FILE_HEADER.size or data[:4] != MAGIC:
        return
    pos = FILE_HEADER.size
    end = len(data)
    while pos + ENTRY_HEAD.size <= end:
        crc, n = ENTRY_HEAD.unpack_from(data, pos)
        if n <= 0 or pos + ENTRY_HEAD.size + n + 1 > end:
            return
        raw = data[pos + ENTRY_HEAD.size : pos + ENTRY_HEAD.size + n]
        if zlib.adler32(raw) != crc or data[pos + ENTRY_HEAD.size + n] != EOR[0]:
            return
        try:
            txn = decode_txn(raw)
        except ValueError:
            return
        yield txn
        pos += ENTRY_HEAD.size + n + 1


def read_txns(directory: Path, after_zxid: int) -> Iterator[Txn]:
    """Txns with zxid > after_zxid, in order, across the log files that may hold them."""
    files = sorted_files(directory, "log")
    start = 0
    for i, (z, _p) in enumerate(files):
        if z <= after_zxid + 1:
            start = i
    last = after_zxid
    for _z, path in files[start:]:
        for txn in read_log_file(path):
            if txn.zxid > last:
                last = txn.zxid
                yield txn
