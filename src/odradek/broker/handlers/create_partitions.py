"""CreatePartitions (key 37): grow a topic's partition count."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import shapes


def handle(ctx: RequestContext, request: Any) -> Any:
    out = []
    grown: list[tuple[str, int]] = []
    for t in request.topics:
        entry: dict[str, object] = {"name": t.name}
        try:
            info = ctx.broker.topics.require(t.name)
            if t.assignments is not None:
                live = {e.node_id for e in ctx.broker.live_brokers()}
                if len(t.assignments) != t.count - info.partitions or any(
                    not set(a.broker_ids) <= live for a in t.assignments
                ):
                    raise KafkaError(
                        ErrorCode.INVALID_REPLICA_ASSIGNMENT, "Invalid replica assignment"
                    )
            ctx.broker.topics.add_partitions(t.name, t.count, bool(request.validate_only))
            entry["error_code"] = 0
            if not request.validate_only:
                grown.append((t.name, t.count))
        except KafkaError as exc:
            code, message = error_of(exc)
            entry.update(error_code=code, error_message=message)
        out.append(entry)
    response = respond(ctx, {"throttle_time": 0, "results": out})
    if ctx.broker.cluster is not None and grown:
        timeout_ms = int(shapes.millis(getattr(request, "timeout", 0)))
        return _await_leaders(ctx, grown, min(max(timeout_ms, 0), 30000) / 1000, response)
    return response


async def _await_leaders(
    ctx: RequestContext, grown: list[tuple[str, int]], timeout_s: float, response: Any
) -> Any:
    """Cluster mode: answer once the new partitions have leaders (as CreateTopics does)."""
    assert ctx.broker.cluster is not None
    cache = ctx.broker.cluster.replicas.metadata
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(cache.has_leaders(name, n) for name, n in grown):
            break
        await asyncio.sleep(0.02)
    return response


SPEC = ApiSpec(37, "CreatePartitions", 0, 3, kio_handler=handle)
