"""Cleans in worker processes: the cleaner's per-record Python work does not share the GIL
with the broker's event loop (measured: a cleaner thread in the broker's process cut produce
throughput to ~0.3x; see ``bench/cleaner_results.md``).

A ``CleanPlan`` holds plain values (paths, sizes, offsets), so it crosses the process boundary;
the worker reads the segment files and writes the ``.cleaned`` files exactly as a thread would,
and returns a ``CleanResult``. The swap stays on the broker's loop. Workers are started with
``spawn`` (no fork of a process running an event loop and threads); the stop flag is a
multiprocessing Event. Each of the ``n`` workers gets ``1/n`` of the dedupe buffer and of the
I/O rate, as Kafka splits them among its cleaner threads. Workers run at nice 10, so when
cores are short the broker's process gets them first.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.synchronize import Event

from odradek.storage.cleaner import Cleaner, CleanPlan, CleanResult, StopFlag, Throttler

WORKER_NICE = 10  # background work: the broker's own process wins when CPU is short
_cleaner: Cleaner | None = None


def _init_worker(dedupe_bytes: int, rate: float, stop: StopFlag, nice: int) -> None:
    global _cleaner
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    _cleaner = Cleaner(dedupe_bytes, Throttler(rate), stop=stop)


def clean_in_worker(plan: CleanPlan) -> CleanResult:
    """Run one clean in the worker process (the pool's initializer made its Cleaner)."""
    if _cleaner is None:
        raise RuntimeError("cleaner worker was not initialized")
    return _cleaner.clean(plan)


def make_pool(
    workers: int, dedupe_bytes: int, rate: float, nice: int = WORKER_NICE
) -> tuple[ProcessPoolExecutor, Event]:
    """A pool of ``workers`` cleaner processes and the Event that stops their cleans."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(dedupe_bytes // workers, rate / workers, stop, nice),
    )
    return pool, stop
