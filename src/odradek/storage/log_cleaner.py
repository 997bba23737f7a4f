"""LogCleaner: compacts the logs of a LogManager in the background (Kafka's ``LogCleaner``).

Each of ``log.cleaner.threads`` workers is an asyncio task on the broker's loop that repeats:
choose the filthiest log (``cleaner_selection``, on the loop), clean it off the loop — on a
worker thread, or (``processes=True``, what the broker uses) in a worker process so the
cleaner's per-record Python work does not compete with the loop for the GIL
(``cleaner_process``) — with ``cleaner.Cleaner`` (reads segments through private fds, writes
``.cleaned`` files, never touches the Log object), then swap the cleaned segments in on the
loop (``swap``; the Log's segment list is only changed there, so no lock is needed) and update
the ``cleaner-offset-checkpoint``. With nothing to clean a worker sleeps
``log.cleaner.backoff.ms``. If a cleaned group's segments are gone or changed by the time of
the swap (retention, truncation, deletion), its files are discarded and the checkpoint is left
as it was.

Metrics (plain attributes, read by the metrics exporter): ``max_dirty_ratio`` and
``dirty_ratios`` (per log, at the last selection), ``bytes_cleaned_total`` (bytes of log
read by cleaning), ``bytes_written_total``, ``cleanings``, ``aborted_cleanings`` and
``last_stats``, ``last_swap_s`` (time the loop spent swapping).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from odradek.common.config import BrokerConfig
from odradek.storage.cleaner import (
    CleanAborted,
    Cleaner,
    CleanPlan,
    CleanResult,
    CleanStats,
    SegmentInfo,
    Throttler,
)
from odradek.storage.cleaner_checkpoint import CleanerCheckpoints
from odradek.storage.cleaner_process import clean_in_worker, make_pool
from odradek.storage.cleaner_selection import choose_filthiest, cleanable_section, make_plan
from odradek.storage.loader import open_segment
from odradek.storage.log import Log
from odradek.storage.log_manager import LogManager
from odradek.storage.recovery import recover_segment
from odradek.storage.segment import LogSegment
from odradek.storage.swap import FaultHook, discard_cleaned, remove_deleted, swap_in

log = logging.getLogger(__name__)

DEFAULT_DEDUPE_BYTES = 128 * 1024 * 1024


class StopSetter(Protocol):
    def set(self) -> None: ...


class LogCleaner:
    def __init__(
        self,
        log_manager: LogManager,
        *,
        threads: int = 1,
        io_max_bytes_per_second: float = float("inf"),
        dedupe_buffer_bytes: int = DEFAULT_DEDUPE_BYTES,
        backoff_ms: int = 15_000,
        fault: FaultHook | None = None,
        processes: bool = False,
    ) -> None:
        self.log_manager = log_manager
        self.threads = max(1, threads)
        self.processes = processes
        self.dedupe_buffer_bytes = dedupe_buffer_bytes
        self.backoff_s = backoff_ms / 1000
        self.fault = fault
        self.checkpoints = CleanerCheckpoints()
        self.throttler = Throttler(io_max_bytes_per_second)
        self._stop = threading.Event()
        self._cleaners = [
            Cleaner(dedupe_buffer_bytes // self.threads, self.throttler, fault, self._stop)
            for _ in range(self.threads)
        ]
        self._executor: Executor | None = None
        self._process_stop: StopSetter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._in_progress: set[tuple[str, int]] = set()
        self._planned: dict[tuple[str, int], dict[int, LogSegment]] = {}
        self.dirty_ratios: dict[tuple[str, int], float] = {}
        self.max_dirty_ratio = 0.0
        self.bytes_cleaned_total = 0
        self.bytes_written_total = 0
        self.cleanings = 0
        self.aborted_cleanings = 0
        self.last_stats: CleanStats | None = None
        self.last_swap_s = 0.0

    @classmethod
    def from_config(cls, log_manager: LogManager, config: BrokerConfig) -> LogCleaner:
        rate = config.get("log.cleaner.io.max.bytes.per.second")
        return cls(
            log_manager,
            threads=config.get_int("log.cleaner.threads"),
            io_max_bytes_per_second=float(rate),  # type: ignore[arg-type]
            dedupe_buffer_bytes=config.get_int("log.cleaner.dedupe.buffer.size"),
            backoff_ms=config.get_int("log.cleaner.backoff.ms"),
            processes=True,
        )

    # -- selection and completion (event loop thread) ------------------------------------
    def grab_filthiest(self, now_ms: int) -> CleanPlan | None:
        candidates = []
        for lg in self.log_manager.all_logs():
            tp = (lg.topic, lg.partition)
            if "compact" not in lg.config.cleanup_policy or tp in self._in_progress:
                continue
            c = cleanable_section(lg, self.checkpoints.get(lg.dir.parent, tp), now_ms)
            self.dirty_ratios[tp] = c.ratio
            candidates.append(c)
        self.max_dirty_ratio = max(self.dirty_ratios.values(), default=0.0)
        chosen = choose_filthiest(candidates)
        if chosen is None:
            return None
        tp = (chosen.log.topic, chosen.log.partition)
        self._in_progress.add(tp)
        self._planned[tp] = {s.base_offset: s for s in chosen.cleanable}
        return make_plan(chosen, now_ms)

    def complete(self, result: CleanResult) -> bool:
        """Swap the cleaned groups in; True when all were, then the checkpoint moves on."""
        plan = result.plan
        tp = (plan.topic, plan.partition)
        self._in_progress.discard(tp)
        planned = self._planned.pop(tp, {})
        lg = self.log_manager.get_log(*tp)
        all_in = True
        started = time.monotonic()
        for group in result.groups:
            old = [planned[b] for b in group.bases if b in planned]
            infos = [s for s in plan.segments if s.base_offset in group.bases]
            if lg is None or lg.dir != plan.dir or not _unchanged(lg, old, infos):
                discard_cleaned(plan.dir, group.base)
                all_in = False
                continue
            self._swap(lg, old, group.base)
        stats = result.stats
        self.last_stats = stats
        self.bytes_cleaned_total += stats.bytes_read
        self.bytes_written_total += stats.bytes_written
        if not all_in:
            self.aborted_cleanings += 1
            log.info("%s-%d: cleaned segments changed under the cleaner; discarded", *tp)
            return False
        self.cleanings += 1
        self.checkpoints.update(plan.dir.parent, tp, result.next_dirty)
        self.last_swap_s = time.monotonic() - started
        log.info(
            "%s-%d: cleaned %d bytes into %d in %.3fs (%d of %d records kept), swap %.3fs",
            *tp,
            stats.bytes_read,
            stats.bytes_written,
            stats.elapsed_s,
            stats.records_kept,
            stats.records_read,
            self.last_swap_s,
        )
        return True

    def _swap(self, lg: Log, old: list[LogSegment], base: int) -> None:
        segs = lg.segments()
        last = next(i for i, s in enumerate(segs) if s is old[-1])
        next_base = segs[last + 1].base_offset
        doomed = swap_in(lg.dir, old, base, self.fault)
        new = open_segment(lg.dir, base, lg.config, self.log_manager.clock.now_ms())
        if not new.load_indexes(next_base):
            recover_segment(new)
            new.flush()
        new.release_index_files()
        replaced = lg.replace_segments(old, new)
        assert replaced, "segments were checked before the swap"
        remove_deleted(doomed)
        if self.fault:
            self.fault("done")

    def abort(self, plan: CleanPlan) -> None:
        self._in_progress.discard((plan.topic, plan.partition))
        self._planned.pop((plan.topic, plan.partition), None)

    # -- synchronous use (tests, tools, benchmarks) ---------------------------------------
    def clean_once(self, now_ms: int | None = None) -> CleanResult | None:
        """Choose, clean and swap one log on the calling thread; None if nothing is due."""
        now = self.log_manager.clock.now_ms() if now_ms is None else now_ms
        plan = self.grab_filthiest(now)
        if plan is None:
            return None
        try:
            result = self._cleaners[0].clean(plan)
        except BaseException:
            self.abort(plan)
            raise
        self.complete(result)
        return result

    # -- background workers ---------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._executor = self._new_executor()
        self._tasks = [asyncio.create_task(self._worker(c)) for c in self._cleaners]

    def _new_executor(self) -> Executor:
        if not self.processes:
            return ThreadPoolExecutor(self.threads, thread_name_prefix="log-cleaner")
        pool, stop = make_pool(self.threads, self.dedupe_buffer_bytes, self.throttler.rate)
        self._process_stop = stop
        return pool

    async def stop(self) -> None:
        self._stop.set()
        if self._process_stop is not None:
            self._process_stop.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(task, timeout=30)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("log cleaner worker did not stop in time")
        self._tasks = []
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def _worker(self, cleaner: Cleaner) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            plan = self.grab_filthiest(self.log_manager.clock.now_ms())
            if plan is None:
                await self._pause()
                continue
            try:
                if self.processes:
                    result = await loop.run_in_executor(self._executor, clean_in_worker, plan)
                else:
                    result = await loop.run_in_executor(self._executor, cleaner.clean, plan)
            except BrokenProcessPool:
                self.abort(plan)
                log.error("log cleaner worker process died; starting a new one")
                self._executor = self._new_executor()
                await self._pause()
                continue
            except CleanAborted as exc:
                self.abort(plan)
                log.info("%s-%d: cleaning aborted: %s", plan.topic, plan.partition, exc)
                continue
            except Exception:
                self.abort(plan)
                self.aborted_cleanings += 1
                log.exception("%s-%d: cleaning failed", plan.topic, plan.partition)
                await self._pause()
                continue
            try:
                self.complete(result)
            except Exception:
                self.aborted_cleanings += 1
                log.exception("%s-%d: swapping cleaned segments failed", plan.topic, plan.partition)

    async def _pause(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_wait_event(self._stop), self.backoff_s)


async def _wait_event(event: threading.Event) -> None:
    while not event.is_set():
        await asyncio.sleep(0.05)


def _unchanged(lg: Log, old: list[LogSegment], infos: list[SegmentInfo]) -> bool:
    """``old`` are still consecutive inactive segments of ``lg``, with the planned sizes."""
    if not old or len(old) != len(infos):
        return False
    segs = lg.segments()
    ids = [i for i, s in enumerate(segs) if s is old[0]]
    if not ids:
        return False
    i = ids[0]
    run = segs[i : i + len(old)]
    if i + len(old) >= len(segs) or len(run) != len(old):
        return False
    return all(a is b and a.size == info.size for a, b, info in zip(run, old, infos, strict=True))
