"""The purgatory completes a waiter only when its predicate holds (Kafka's tryComplete)."""

from __future__ import annotations

import asyncio

from odradek.broker.purgatory import FetchPurgatory

TP = ("t", 0)


def test_waiter_with_predicate_stays_parked_until_it_holds() -> None:
    async def run() -> tuple[bool, int, int, bool]:
        purgatory = FetchPurgatory()
        hw = {"value": 0}
        task = asyncio.ensure_future(purgatory.wait([TP], 5.0, lambda: hw["value"] > 10))
        await asyncio.sleep(0)
        for step in range(1, 10):  # appends and high watermark steps below the offset
            hw["value"] = step
            purgatory.notify(TP)
        await asyncio.sleep(0)
        parked_while_below = purgatory.waiting(TP)
        still_pending = not task.done()
        hw["value"] = 11
        purgatory.notify(TP)
        woken = await asyncio.wait_for(task, 1.0)
        return woken, parked_while_below, purgatory.waiting(TP), still_pending

    woken, parked, left, pending = asyncio.run(run())
    assert pending and parked == 1
    assert woken is True
    assert left == 0


def test_plain_waiters_complete_on_any_notify_and_others_stay() -> None:
    async def run() -> tuple[bool, bool, int]:
        purgatory = FetchPurgatory()
        plain = asyncio.ensure_future(purgatory.wait([TP, ("t", 1)], 5.0))
        strict = asyncio.ensure_future(purgatory.wait([TP], 5.0, lambda: False))
        await asyncio.sleep(0)
        purgatory.notify(TP)
        got = await asyncio.wait_for(plain, 1.0)
        await asyncio.sleep(0)
        strict_done = strict.done()
        remaining = purgatory.waiting(TP) + purgatory.waiting(("t", 1))
        strict.cancel()
        return got, strict_done, remaining

    got, strict_done, remaining = asyncio.run(run())
    assert got is True
    assert strict_done is False
    assert remaining == 1  # only the strict waiter, and the plain one left ("t", 1) too


def test_timeout_notify_all_and_failing_predicate() -> None:
    async def run() -> tuple[bool, bool, bool, int]:
        purgatory = FetchPurgatory()
        timed_out = await purgatory.wait([TP], 0.01, lambda: False)
        forced = asyncio.ensure_future(purgatory.wait([TP], 5.0, lambda: False))
        await asyncio.sleep(0)
        purgatory.notify_all()
        forced_result = await asyncio.wait_for(forced, 1.0)

        def broken() -> bool:
            raise RuntimeError("partition gone")

        failing = asyncio.ensure_future(purgatory.wait([TP], 5.0, broken))
        await asyncio.sleep(0)
        purgatory.notify(TP)
        failing_result = await asyncio.wait_for(failing, 1.0)
        return timed_out, forced_result, failing_result, purgatory.waiting(TP)

    timed_out, forced, failing, left = asyncio.run(run())
    assert timed_out is False
    assert forced is True
    assert failing is True
    assert left == 0


def test_ordered_waiters_complete_lowest_offset_first_and_checks_stay_bounded() -> None:
    async def run() -> tuple[list[list[int]], int, int, bool]:
        purgatory = FetchPurgatory()
        hw = {"value": 0}
        checks = {"n": 0}
        completed: list[int] = []

        def committed(offset: int) -> bool:
            checks["n"] += 1
            return hw["value"] > offset

        async def produce(offset: int) -> None:
            await purgatory.wait([TP], 5.0, lambda: committed(offset), order=offset)
            completed.append(offset)

        tasks = [asyncio.ensure_future(produce(o)) for o in range(0, 1000, 10)]  # 100 waiters
        await asyncio.sleep(0)
        rounds = []
        for step in (5, 5, 55, 1000):
            hw["value"] = step
            before = len(completed)
            purgatory.notify(TP)
            await asyncio.sleep(0)
            rounds.append(sorted(completed[before:]))
        await asyncio.gather(*tasks)
        timed_out = await purgatory.wait([TP], 0.01, lambda: False, order=5)
        return rounds, checks["n"], purgatory.waiting(TP), timed_out

    rounds, checks, left, timed_out = asyncio.run(run())
    assert rounds[0] == [0]
    assert rounds[1] == []  # a repeated high watermark completes nothing more
    assert rounds[2] == [10, 20, 30, 40, 50]
    assert rounds[3] == list(range(60, 1000, 10))
    # each notify checks the completed waiters plus one: 2 + 1 + 6 + 94, not 100 per notify
    assert checks == 103
    assert left == 0
    assert timed_out is False


def test_ordered_waiters_released_by_notify_all() -> None:
    async def run() -> list[bool]:
        purgatory = FetchPurgatory()
        waits = [
            asyncio.ensure_future(purgatory.wait([TP], 5.0, lambda: False, order=o))
            for o in (3, 1, 2)
        ]
        await asyncio.sleep(0)
        purgatory.notify(TP)
        await asyncio.sleep(0)
        pending = [not w.done() for w in waits]
        purgatory.notify_all()
        return pending + list(await asyncio.gather(*waits))

    assert asyncio.run(run()) == [True, True, True, True, True, True]
