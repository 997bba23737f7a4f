"""Log cleaner benchmark: cleaner MB/s, and produce throughput with and without cleaning.

Usage: python bench/cleaner_bench.py [--mb 64] [--seconds 4] [--dir /tmp]

1. **Cleaner throughput**: a compacted log of ``--mb`` MB is filled with batches of 100
   records (100 B or 1 KB values, 10 000 keys, uncompressed and lz4), then one clean (offset
   map over the whole log, copy, swap) runs on this thread. MB/s = log size / time (the clean
   reads the log twice: once to map it, once to copy it).
2. **Produce under cleaning**: batches of 100 x 1 KB records are appended to a log through
   ``Log.append_as_leader`` for ``--seconds`` s on the main thread (the broker's produce path
   minus the network), once alone and then while another log is cleaned over and over, in a
   thread of the same process (``LogCleaner(processes=False)``) or in a worker process (what
   the broker does), unthrottled and with ``log.cleaner.io.max.bytes.per.second`` = 5 MB/s.
   Ratio = produce MB/s with / without.

Numbers include the page cache, not the disk: they measure CPU cost.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from odradek.common.clock import SystemClock
from odradek.common.config import LogConfig
from odradek.records.builder import SimpleRecord, build_batch
from odradek.storage.cleaner import CleanAborted, Cleaner, CleanResult, Throttler
from odradek.storage.cleaner_process import clean_in_worker, make_pool
from odradek.storage.cleaner_selection import cleanable_section, make_plan
from odradek.storage.log import Log
from odradek.storage.log_cleaner import LogCleaner
from odradek.storage.log_manager import LogManager

SEGMENT = 16 * 1024 * 1024
KEYS = 10_000
INF = float("inf")


def compact_config() -> LogConfig:
    return LogConfig(
        segment_bytes=SEGMENT,
        cleanup_policy=("compact",),
        min_cleanable_dirty_ratio=0.0,
        max_message_bytes=4 * 1024 * 1024,
    )


def fill(log: Log, mb: int, value_size: int, codec: int, rnd: random.Random) -> int:
    written = 0
    while written < mb * 1_000_000:
        recs = [
            SimpleRecord(b"key-%05d" % rnd.randrange(KEYS), rnd.randbytes(value_size // 2) * 2)
            for _ in range(100)
        ]
        raw = build_batch(recs, timestamp=0, codec=codec)
        log.append_as_leader(memoryview(bytearray(raw)), now_ms=0)
        written += len(raw)
    log.roll(0)
    return written


def bench_clean(root: Path, mb: int, value_size: int, codec: int) -> str:
    manager = LogManager([root], compact_config(), SystemClock())
    manager.startup()
    log = manager.get_or_create_log(f"clean{value_size}c{codec}", 0, compact_config())
    fill(log, mb, value_size, codec, random.Random(1))
    size = log.size_bytes() / 1e6
    cleaner = LogCleaner(manager)
    t0 = time.perf_counter()
    c0 = time.process_time()
    result = cleaner.clean_once()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    manager.shutdown()
    assert result is not None
    s = result.stats
    return (
        f"| {value_size} B | {'lz4' if codec else 'none'} | {size:.0f} MB | "
        f"{size / wall:.1f} | {size / cpu:.1f} | {s.records_kept}/{s.records_read} |"
    )


def produce_rate(log: Log, seconds: float) -> float:
    value = bytes(range(256)) * 4
    raw = build_batch([SimpleRecord(b"k%d" % i, value) for i in range(100)], timestamp=0)
    buf = bytearray(raw)
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        log.append_as_leader(memoryview(buf), now_ms=0)
        n += 1
        if n % 256 == 0:  # ~26 MB: drop it, so kernel dirty-page throttling never kicks in
            log.truncate_fully_and_start_at(log.log_end_offset)
    return n * len(raw) / 1e6 / (time.perf_counter() - t0)


def _drop_output(log: Log, result: CleanResult) -> None:
    for g in result.groups:  # the swap is not measured here: drop the cleaned files
        for p in log.dir.glob(f"{g.base:020d}.*.cleaned"):
            p.unlink()


def clean_loop(log: Log, rate: float, stop: threading.Event, processes: bool) -> list[int]:
    """Clean ``log`` from scratch over and over until ``stop``; returns [bytes cleaned]."""
    cleaned = [0]
    plan = make_plan(cleanable_section(log, log.log_start_offset, 0), 0)
    if processes:
        pool, pstop = make_pool(1, 128 * 1024 * 1024, rate)
        while not stop.is_set():
            try:
                result = pool.submit(clean_in_worker, plan).result()
            except CleanAborted:
                break
            cleaned[0] += result.stats.bytes_read
            _drop_output(log, result)
            if stop.is_set():
                break
        pstop.set()
        pool.shutdown()
        return cleaned
    throttler = Throttler(rate)
    cleaner = Cleaner(128 * 1024 * 1024, throttler, stop=stop)
    while not stop.is_set():
        try:
            result = cleaner.clean(plan)
        except CleanAborted:
            break
        _drop_output(log, result)
    for p in log.dir.glob("*.cleaned"):
        p.unlink()
    cleaned[0] = throttler.total_bytes
    return cleaned


def _with_cleaning(target: Log, dirty: Log, seconds: float, processes: bool, rate: float) -> str:
    stop = threading.Event()
    out: list[list[int]] = []

    def run() -> None:
        out.append(clean_loop(dirty, rate, stop, processes))

    base = produce_rate(target, seconds)  # measured right before: the machine is shared
    t = threading.Thread(target=run)
    t.start()
    time.sleep(1.0 if processes else 0.2)  # a spawned worker needs its imports first
    t0 = time.perf_counter()
    with_clean = produce_rate(target, seconds)
    stop.set()
    t.join()
    cleaned = out[0][0] / 1e6 / (time.perf_counter() - t0) if out else 0.0
    where = "process" if processes else "thread"
    label = "unthrottled" if rate == INF else f"{rate / 1e6:.0f} MB/s limit"
    return (
        f"| cleaning in a {where}, {label} | {base:.0f} | {with_clean:.0f} | {cleaned:.1f} | "
        f"{with_clean / base:.2f} |"
    )


def bench_produce(root: Path, seconds: float, mb: int, repeat: int) -> list[str]:
    manager = LogManager([root], compact_config(), SystemClock())
    manager.startup()
    dirty = manager.get_or_create_log("dirty", 0, compact_config())
    fill(dirty, mb, 100, 0, random.Random(2))
    cfg = LogConfig(segment_bytes=256 * 1024 * 1024, max_message_bytes=4 * 1024 * 1024)
    target = manager.get_or_create_log("produce", 0, cfg)
    rows = []
    for _ in range(repeat):
        for processes, rate in [(False, INF), (False, 5e6), (True, INF), (True, 5e6)]:
            rows.append(_with_cleaning(target, dirty, seconds, processes, rate))
            target.truncate_fully_and_start_at(0)
    manager.shutdown()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-clean", action="store_true", help="only the produce part")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="odradek-cleaner-bench-", dir=args.dir))
    try:
        print("| value | codec | log | wall MB/s | CPU MB/s | records kept/read |")
        print("|---|---|---|---|---|---|")
        for value_size in () if args.skip_clean else (100, 1000):
            for codec in (0, 3):
                print(bench_clean(root, args.mb, value_size, codec), flush=True)
        print()
        print("| produce (100 x 1 KB) | alone MB/s | with cleaning MB/s | cleaner MB/s | ratio |")
        print("|---|---|---|---|---|")
        for row in bench_produce(root, args.seconds, 4, args.repeat):
            print(row, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
