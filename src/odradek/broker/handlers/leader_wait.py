"""Cluster mode: hold a topic-admin response until the new partitions have leaders.

Kafka answers CreateTopics and CreatePartitions once the controller has elected leaders
(``DelayedCreatePartitions``), bounded by the request's timeout (here at most 30 s); a topic
still without leaders then is answered REQUEST_TIMED_OUT (it was created all the same). In the
single-node mode the response is returned at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from odradek.broker.context import RequestContext
from odradek.common.errors import ErrorCode
from odradek.protocol import shapes

MAX_WAIT_S = 30.0
POLL_S = 0.02


def when_leaders_known(
    ctx: RequestContext,
    request: Any,
    partitions: list[tuple[str, int]],
    build: Callable[[set[str]], Any],
) -> Any:
    """``build(set())``, or an awaitable of it that completes once every ``(topic, count)`` in
    ``partitions`` has leaders for all its partitions; after the request timeout it completes
    with ``build(topics still without leaders)``."""
    if ctx.broker.cluster is None or not partitions:
        return build(set())
    timeout_ms = int(shapes.millis(getattr(request, "timeout", 0)))
    if timeout_ms <= 0:
        return build(set())
    return _await_leaders(ctx, partitions, min(timeout_ms / 1000, MAX_WAIT_S), build)


async def _await_leaders(
    ctx: RequestContext,
    partitions: list[tuple[str, int]],
    timeout_s: float,
    build: Callable[[set[str]], Any],
) -> Any:
    assert ctx.broker.cluster is not None
    cache = ctx.broker.cluster.replicas.metadata
    deadline = time.monotonic() + timeout_s
    missing = {name for name, n in partitions if not cache.has_leaders(name, n)}
    while missing and time.monotonic() < deadline:
        await asyncio.sleep(POLL_S)
        missing = {name for name, n in partitions if not cache.has_leaders(name, n)}
    return build(missing)


def mark_timed_out(entries: list[dict[str, object]], timed_out: set[str]) -> None:
    """Set REQUEST_TIMED_OUT on the response entries of the topics in ``timed_out``."""
    for e in entries:
        if e.get("name") in timed_out:
            e.update(
                error_code=int(ErrorCode.REQUEST_TIMED_OUT),
                error_message="Timed out waiting for the partitions' leaders to be elected",
            )
