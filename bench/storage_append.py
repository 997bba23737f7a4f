"""Storage throughput sanity check: Log append and read MB/s with 1 MB batches.

Usage: python bench/storage_append.py [--mb 256] [--batch-kb 1024] [--dir /tmp]

Appends ``--mb`` MB as batches of ``--batch-kb`` KB through ``Log.append_as_leader`` (validate
header + CRC32C, assign offsets in place, one pwrite per append; no fsync per append), then
reads the whole log back with ``Log.read`` in 1 MB fetches (one pread per fetch). Numbers
include the page cache, not the disk: this measures the broker's CPU cost per MB.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from odradek.common.clock import SystemClock
from odradek.common.config import LogConfig
from odradek.records.builder import SimpleRecord, build_batch
from odradek.storage.log import Log


def make_batch(batch_kb: int) -> bytes:
    value = bytes(range(256)) * 4  # 1 KB values, incompressible enough
    return build_batch([SimpleRecord(None, value) for _ in range(batch_kb)], timestamp=0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--batch-kb", type=int, default=1024)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="odradek-bench-", dir=args.dir))
    try:
        raw = make_batch(args.batch_kb)
        buf = bytearray(raw)
        view = memoryview(buf)
        n = max(1, args.mb * 1024 * 1024 // len(raw))
        cfg = LogConfig(max_message_bytes=len(raw) + 1024, segment_bytes=256 * 1024 * 1024)
        log = Log(root / "bench-0", cfg, SystemClock())
        t0 = time.perf_counter()
        c0 = time.process_time()
        for _ in range(n):
            log.append_as_leader(view, now_ms=0)
        t1 = time.perf_counter()
        c1 = time.process_time()
        total_mb = n * len(raw) / 1e6
        print(
            f"append: {n} batches of {len(raw)} B, {total_mb:.0f} MB in {t1 - t0:.2f} s "
            f"= {total_mb / (t1 - t0):.0f} MB/s wall, {total_mb / (c1 - c0):.0f} MB/s CPU"
        )
        offset = 0
        read_bytes = 0
        t0 = time.perf_counter()
        c0 = time.process_time()
        while offset < log.log_end_offset:
            fd = log.read(offset, 1024 * 1024)
            read_bytes += fd.size
            last = fd.buffers[-1]
            base = int.from_bytes(bytes(last[0:8]), "big", signed=True)
            delta = int.from_bytes(bytes(last[23:27]), "big", signed=True)
            offset = base + delta + 1
        t1 = time.perf_counter()
        c1 = time.process_time()
        mb = read_bytes / 1e6
        print(
            f"read:   {mb:.0f} MB in {t1 - t0:.2f} s = {mb / (t1 - t0):.0f} MB/s wall, "
            f"{mb / (c1 - c0):.0f} MB/s CPU"
        )
        t0 = time.perf_counter()
        log.flush()
        took = time.perf_counter() - t0
        print(f"flush:  fsync of {log.size_bytes() / 1e6:.0f} MB took {took:.2f} s")
        log.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
