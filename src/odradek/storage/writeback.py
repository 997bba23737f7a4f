"""Writeback pacing: start the kernel's writeback of a segment's new bytes every few MiB.

Appends go to the page cache (durability comes from ``flush.*``, replication and recovery, as
in Kafka). Left alone, the kernel lets hundreds of MB of dirty pages pile up and then makes
writers pay for reclaiming them, so the cost of a ``pwrite`` swings from ~0.3 to 3-4 ms per MB
on a busy machine. ``sync_file_range(SYNC_FILE_RANGE_WRITE)`` over the bytes appended since the
last call only queues them for writeback (it does not wait for the disk and promises no
durability), which keeps the dirty set small and the append cost flat; it also leaves little
for the fsync at segment roll. Where the call is missing (not Linux), pacing is off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

PACE_BYTES = 8 << 20
_SYNC_FILE_RANGE_WRITE = 2


def _load() -> Callable[[int, int, int, int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        fn = libc.sync_file_range
    except (OSError, AttributeError, TypeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_sync_file_range = _load()


def start_writeback(fd: int, offset: int, nbytes: int) -> None:
    """Queue ``[offset, offset + nbytes)`` of ``fd`` for writeback; errors are only logged (the
    data is in the page cache either way; a later fsync reports real I/O errors)."""
    if _sync_file_range is None or nbytes <= 0:
        return
    if _sync_file_range(fd, offset, nbytes, _SYNC_FILE_RANGE_WRITE) != 0:
        log.debug("sync_file_range failed: errno %d", ctypes.get_errno())
