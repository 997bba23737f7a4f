"""What the group API handlers share: the loaded coordinator and callback-to-awaitable glue.

The coordinator core answers through callbacks, immediately or later (JoinGroup and SyncGroup
wait for the other members). :func:`answer` runs a request with a callback and returns either
the built response or an awaitable of it, which the dispatcher awaits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from odradek.broker.context import RequestContext
from odradek.coordinator.group.service import GroupCoordinator

T = TypeVar("T")


def coordinator(ctx: RequestContext) -> GroupCoordinator:
    """The group coordinator, with ``__consumer_offsets`` created and loaded on first use."""
    ctx.broker.groups.ensure_loaded()
    return ctx.broker.groups.coordinator


def client_host(ctx: RequestContext) -> str:
    return "/" + ctx.client_host


def answer(
    ctx: RequestContext,
    start: Callable[[Callable[[T], None]], None],
    build: Callable[[T], Any],
) -> Any:
    """Run ``start(callback)``; build the response now if answered, else await the answer."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def callback(value: T) -> None:
        if not future.done():
            future.set_result(value)

    start(callback)
    ctx.broker.groups.wake()
    if future.done():
        return build(future.result())
    return _later(future, build)


async def _later(future: Awaitable[T], build: Callable[[T], Any]) -> Any:
    return build(await future)
