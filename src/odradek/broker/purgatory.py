"""Where delayed requests wait: a fetch long-poll or an acks=all produce, until it can complete.

Kafka's ``DelayedFetch`` completes when enough bytes are available or ``max_wait_ms`` elapses;
``DelayedProduce`` when the high watermark passed the produced offsets (or leadership moved).
Here a waiter registers interest in a set of partitions; :meth:`FetchPurgatory.notify` (called
after every append, and when the high watermark moves) completes the waiters on that partition.
A waiter may carry a ``ready`` predicate (Kafka's ``tryComplete``): ``notify`` then completes it
only once the predicate holds, so a produce waiting for offset 900 is not woken, rescheduled and
re-registered by every append and every high watermark step below 900.

Produce waiters also give an ``order`` (their last offset) and sit in a per-partition heap: their
predicates are monotone in the offset (committed up to the high watermark, or all released by a
leadership change), so ``notify`` completes them lowest offset first and stops at the first one
not ready; thousands of produces in flight cost a notify O(completed · log n), not O(n).
No polling, no fixed sleeps.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Iterable

TopicPartition = tuple[str, int]
Ready = Callable[[], bool]
_Ordered = tuple[int, int, asyncio.Future[bool], Ready]  # order, sequence, waiter, predicate


class FetchPurgatory:
    def __init__(self) -> None:
        # per partition: waiter -> its completion predicate (None: complete on any notify)
        self._waiters: dict[TopicPartition, dict[asyncio.Future[bool], Ready | None]] = {}
        self._ordered: dict[TopicPartition, list[_Ordered]] = {}
        self._seq = itertools.count()

    async def wait(
        self,
        partitions: Iterable[TopicPartition],
        timeout_s: float,
        ready: Ready | None = None,
        order: int | None = None,
    ) -> bool:
        """Wait until a notify on one of ``partitions`` finds ``ready()`` true (any notify if
        ``ready`` is None) or ``timeout_s`` passes; True if completed by a notify.

        With ``order`` (one partition and a predicate that, once true for an order, is true for
        every lower order) the waiter joins that partition's ordered queue."""
        if timeout_s <= 0:
            return False
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(timeout_s, _settle, fut, False)
        keys = list(partitions)
        if order is not None and ready is not None and len(keys) == 1:
            heapq.heappush(
                self._ordered.setdefault(keys[0], []), (order, next(self._seq), fut, ready)
            )
            keys = []  # dropped lazily: by notify once done, or by the next notify at the head
        for tp in keys:
            self._waiters.setdefault(tp, {})[fut] = ready
        try:
            return await fut
        finally:
            timer.cancel()
            for tp in keys:
                waiters = self._waiters.get(tp)
                if waiters is not None:
                    waiters.pop(fut, None)
                    if not waiters:
                        del self._waiters[tp]

    def notify(self, tp: TopicPartition, force: bool = False) -> None:
        """Complete the waiters on ``tp`` whose predicate holds (all of them if ``force``)."""
        queue = self._ordered.get(tp)
        if queue:
            while queue and (force or queue[0][2].done() or _holds(queue[0][3])):
                _settle(heapq.heappop(queue)[2], True)
            if not queue:
                del self._ordered[tp]
        waiters = self._waiters.get(tp)
        if not waiters:
            return
        done = [fut for fut, ready in waiters.items() if force or fut.done() or _holds(ready)]
        for fut in done:
            del waiters[fut]
            _settle(fut, True)
        if not waiters:
            del self._waiters[tp]

    def notify_all(self) -> None:
        """Wake every waiter, ready or not (shutdown): each re-checks its own condition."""
        for tp in list(self._waiters) + list(self._ordered):
            self.notify(tp, force=True)

    def waiting(self, tp: TopicPartition) -> int:
        """How many waiters are parked on ``tp`` (metrics and tests)."""
        ordered = sum(1 for entry in self._ordered.get(tp, ()) if not entry[2].done())
        return len(self._waiters.get(tp, ())) + ordered


def _holds(ready: Ready | None) -> bool:
    if ready is None:
        return True
    try:
        return ready()
    except Exception:  # a failing check completes the waiter, which then sees the error itself
        return True


def _settle(fut: asyncio.Future[bool], woken: bool) -> None:
    if not fut.done():
        fut.set_result(woken)
