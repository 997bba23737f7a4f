"""Cluster mode: hold a topic-admin response until the new partitions have leaders.

Kafka answers CreateTopics and CreatePartitions once the controller has elected leaders
(``DelayedCreatePartitions``), bounded by the request's timeout (here at most 30 s). In the
single-node mode the response is returned at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from odradek.broker.context import RequestContext
from odradek.protocol import shapes

MAX_WAIT_S = 30.0
POLL_S = 0.02


def when_leaders_known(
    ctx: RequestContext, request: Any, partitions: list[tuple[str, int]], response: Any
) -> Any:
    """``response``, or an awaitable of it that completes once every ``(topic, count)`` in
    ``partitions`` has leaders for all its partitions (or the request timeout passes)."""
    if ctx.broker.cluster is None or not partitions:
        return response
    timeout_ms = int(shapes.millis(getattr(request, "timeout", 0)))
    return _await_leaders(ctx, partitions, min(max(timeout_ms / 1000, 0.0), MAX_WAIT_S), response)


async def _await_leaders(
    ctx: RequestContext, partitions: list[tuple[str, int]], timeout_s: float, response: Any
) -> Any:
    assert ctx.broker.cluster is not None
    cache = ctx.broker.cluster.replicas.metadata
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(cache.has_leaders(name, n) for name, n in partitions):
            break
        await asyncio.sleep(POLL_S)
    return response
