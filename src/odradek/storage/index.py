"""Sparse segment indexes: ``.index`` (OffsetIndex) and ``.timeindex`` (TimeIndex).

Formats (Kafka's, big-endian):

* ``.index``: 8-byte entries ``relativeOffset i32 | position i32``; an entry maps an offset to
  the file position of the batch that holds it. One entry per ``index.interval.bytes`` appended.
* ``.timeindex``: 12-byte entries ``timestamp i64 | relativeOffset i32``; an entry says "up to
  this offset the largest timestamp is this". Appended only when the timestamp grows.

The active segment's index files are preallocated to ``segment.index.bytes`` (rounded down to
a whole entry) and trimmed to their real size when the segment rolls or the log closes, like
Kafka. Entries live in memory (two int lists) and every append goes to the file with
``os.pwrite``; a preallocated file read back after a crash ends in zero entries, which are
dropped on load. Lookups are binary searches over the in-memory lists.
"""

from __future__ import annotations

import bisect
import os
import struct
from pathlib import Path


class CorruptIndexError(Exception):
    """An index file that fails its sanity check; the segment rebuilds it."""


class _Index:
    ENTRY = struct.Struct(">ii")

    def __init__(self, path: Path, base_offset: int, max_bytes: int) -> None:
        self.path = path
        self.base_offset = base_offset
        self.keys: list[int] = []
        self.values: list[int] = []
        self.max_entries = max(1, max_bytes // self.ENTRY.size)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._dirty = False

    def _file(self) -> int:
        """The file descriptor, reopened on demand (inactive segments close theirs)."""
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        return self._fd

    # -- loading -------------------------------------------------------------------------
    def load(self) -> None:
        """Read existing entries, dropping the zero tail of a preallocated file."""
        size = os.fstat(self._file()).st_size
        data = os.pread(self._file(), size, 0) if size else b""
        esize = self.ENTRY.size
        used = len(data.rstrip(b"\x00"))
        n = min(len(data) // esize, -(-used // esize))
        pairs = [self._decode(e) for e in self.ENTRY.iter_unpack(data[: n * esize])]
        self.keys = [k for k, _ in pairs]
        self.values = [v for _, v in pairs]
        self.sanity_check()

    def _decode(self, entry: tuple[int, int]) -> tuple[int, int]:
        raise NotImplementedError

    def _encode(self, key: int, value: int) -> bytes:
        raise NotImplementedError

    def sanity_check(self) -> None:
        keys = self.keys
        for i in range(1, len(keys)):
            if keys[i] <= keys[i - 1]:
                raise CorruptIndexError(f"{self.path}: entries not increasing at {i}")

    # -- writing -------------------------------------------------------------------------
    @property
    def entries(self) -> int:
        return len(self.keys)

    def is_full(self) -> bool:
        return len(self.keys) >= self.max_entries

    def _append(self, key: int, value: int) -> None:
        n = len(self.keys)
        os.pwrite(self._file(), self._encode(key, value), n * self.ENTRY.size)
        self.keys.append(key)
        self.values.append(value)
        self._dirty = True

    def truncate_entries(self, n: int) -> None:
        """Keep the first ``n`` entries (the file keeps its allocated size, zero-filled)."""
        if n >= len(self.keys):
            return
        size = os.fstat(self._file()).st_size
        del self.keys[n:]
        del self.values[n:]
        os.ftruncate(self._file(), n * self.ENTRY.size)
        os.ftruncate(self._file(), max(size, n * self.ENTRY.size))
        self._dirty = True

    def reset(self) -> None:
        """Drop every entry, in memory and on disk (also stale ones never loaded)."""
        size = os.fstat(self._file()).st_size
        self.keys = []
        self.values = []
        os.ftruncate(self._file(), 0)
        os.ftruncate(self._file(), size)
        self._dirty = True

    def resize(self, max_bytes: int) -> None:
        """Preallocate to ``max_bytes`` (rounded to whole entries) for an active segment."""
        self.max_entries = max(1, max_bytes // self.ENTRY.size)
        os.ftruncate(self._file(), max(self.max_entries, len(self.keys)) * self.ENTRY.size)

    def trim(self) -> None:
        """Cut the file to its real entries (on roll and close)."""
        os.ftruncate(self._file(), len(self.keys) * self.ENTRY.size)

    def flush(self) -> None:
        if self._dirty and self._fd >= 0:
            os.fsync(self._fd)
            self._dirty = False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def release(self) -> None:
        """Close the fd of a flushed, inactive index; entries stay in memory."""
        self.flush()
        self.close()

    def delete(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def rename(self, path: Path) -> None:
        os.rename(self.path, path)
        self.path = path


class OffsetIndex(_Index):
    """Maps offsets to file positions (``.index``)."""

    ENTRY = struct.Struct(">ii")

    def _decode(self, entry: tuple[int, int]) -> tuple[int, int]:
        return self.base_offset + entry[0], entry[1]

    def _encode(self, key: int, value: int) -> bytes:
        return self.ENTRY.pack(key - self.base_offset, value)

    def sanity_check(self) -> None:
        super().sanity_check()
        if self.keys and self.keys[0] < self.base_offset:
            raise CorruptIndexError(f"{self.path}: first entry below the base offset")
        vals = self.values
        for i in range(1, len(vals)):
            if vals[i] <= vals[i - 1]:
                raise CorruptIndexError(f"{self.path}: positions not increasing at {i}")

    def append(self, offset: int, position: int) -> None:
        if self.keys and offset <= self.keys[-1]:
            return
        self._append(offset, position)

    def lookup(self, offset: int) -> tuple[int, int]:
        """Largest entry with offset <= ``offset``, else ``(base_offset, 0)``."""
        i = bisect.bisect_right(self.keys, offset) - 1
        if i < 0:
            return self.base_offset, 0
        return self.keys[i], self.values[i]

    def truncate_to(self, offset: int) -> None:
        """Remove entries with offset >= ``offset``."""
        self.truncate_entries(bisect.bisect_left(self.keys, offset))

    def last_position(self) -> int:
        return self.values[-1] if self.values else 0


class TimeIndex(_Index):
    """Maps timestamps to offsets (``.timeindex``); keys are timestamps, values offsets."""

    ENTRY = struct.Struct(">qi")

    def _decode(self, entry: tuple[int, int]) -> tuple[int, int]:
        return entry[0], self.base_offset + entry[1]

    def _encode(self, key: int, value: int) -> bytes:
        return self.ENTRY.pack(key, value - self.base_offset)

    def sanity_check(self) -> None:
        super().sanity_check()
        vals = self.values
        for i in range(1, len(vals)):
            if vals[i] < vals[i - 1]:
                raise CorruptIndexError(f"{self.path}: offsets decreasing at {i}")

    def maybe_append(self, timestamp: int, offset: int, skip_full_check: bool = False) -> None:
        if not skip_full_check and self.is_full():
            return
        if self.keys and timestamp <= self.keys[-1]:
            return
        if self.values and offset < self.values[-1]:
            return
        self._append(timestamp, offset)

    def lookup_before(self, timestamp: int) -> int:
        """Offset of the largest entry with timestamp < ``timestamp``, else the base offset."""
        i = bisect.bisect_left(self.keys, timestamp) - 1
        return self.base_offset if i < 0 else self.values[i]

    def truncate_to(self, offset: int) -> None:
        """Remove entries whose offset is >= ``offset``."""
        n = len(self.values)
        while n > 0 and self.values[n - 1] >= offset:
            n -= 1
        self.truncate_entries(n)

    def last_entry(self) -> tuple[int, int] | None:
        return (self.keys[-1], self.values[-1]) if self.keys else None
