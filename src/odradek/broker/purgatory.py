"""Where delayed requests wait: a fetch long-poll parks until data arrives or its time is up.

Kafka's ``DelayedFetch`` completes when enough bytes are available or ``max_wait_ms`` elapses.
Here a waiter registers interest in a set of partitions; :meth:`FetchPurgatory.notify` (called
after every append, and when the high watermark moves) wakes every waiter on that partition, which
then re-checks its condition. No polling, no fixed sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

TopicPartition = tuple[str, int]


class FetchPurgatory:
    def __init__(self) -> None:
        self._waiters: dict[TopicPartition, set[asyncio.Future[bool]]] = {}

    async def wait(self, partitions: Iterable[TopicPartition], timeout_s: float) -> bool:
        """Wait until one of ``partitions`` changes or ``timeout_s`` passes; True if woken."""
        if timeout_s <= 0:
            return False
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_later(timeout_s, _settle, fut, False)
        keys = list(partitions)
        for tp in keys:
            self._waiters.setdefault(tp, set()).add(fut)
        try:
            return await fut
        finally:
            timer.cancel()
            for tp in keys:
                waiters = self._waiters.get(tp)
                if waiters is not None:
                    waiters.discard(fut)
                    if not waiters:
                        del self._waiters[tp]

    def notify(self, tp: TopicPartition) -> None:
        waiters = self._waiters.pop(tp, None)
        if waiters:
            for fut in waiters:
                _settle(fut, True)

    def notify_all(self) -> None:
        for tp in list(self._waiters):
            self.notify(tp)


def _settle(fut: asyncio.Future[bool], woken: bool) -> None:
    if not fut.done():
        fut.set_result(woken)
