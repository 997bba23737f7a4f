"""Where delayed requests wait: a fetch long-poll or an acks=all produce, until it can complete.

Kafka's ``DelayedFetch`` completes when enough bytes are available or ``max_wait_ms`` elapses;
``DelayedProduce`` when the high watermark passed the produced offsets (or leadership moved).
Here a waiter registers interest in a set of partitions; :meth:`FetchPurgatory.notify` (called
after every append, and when the high watermark moves) completes the waiters on that partition.
A waiter may carry a ``ready`` predicate (Kafka's ``tryComplete``): ``notify`` then completes it
only once the predicate holds, so a produce waiting for offset 900 is not woken, rescheduled and
re-registered by every append and every high watermark step below 900. No polling, no fixed sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

TopicPartition = tuple[str, int]
Ready = Callable[[], bool]


class FetchPurgatory:
    def __init__(self) -> None:
        # per partition: waiter -> its completion predicate (None: complete on any notify)
        self._waiters: dict[TopicPartition, dict[asyncio.Future[bool], Ready | None]] = {}

    async def wait(
        self, partitions: Iterable[TopicPartition], timeout_s: float, ready: Ready | None = None
    ) -> bool:
        """Wait until a notify on one of ``partitions`` finds ``ready()`` true (any notify if
        ``ready`` is None) or ``timeout_s`` passes; True if completed by a notify."""
        if timeout_s <= 0:
            return False
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(timeout_s, _settle, fut, False)
        keys = list(partitions)
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
        for tp in list(self._waiters):
            self.notify(tp, force=True)

    def waiting(self, tp: TopicPartition) -> int:
        """How many waiters are parked on ``tp`` (metrics and tests)."""
        return len(self._waiters.get(tp, ()))


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
