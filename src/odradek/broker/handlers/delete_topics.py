"""DeleteTopics (key 20): delete by name (and by topic id, v6+)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.topics import validate_topic_name
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import shapes

_ZERO = uuid.UUID(int=0)


def _targets(request: Any) -> list[tuple[str | None, uuid.UUID]]:
    if getattr(request, "topics", None) is not None:
        return [(t.name, t.topic_id) for t in request.topics]
    return [(name, _ZERO) for name in request.topic_names]


def handle(ctx: RequestContext, request: Any) -> Any:
    topics = ctx.broker.topics
    out = []
    for name, topic_id in _targets(request):
        entry: dict[str, object] = {"name": name, "topic_id": topic_id}
        try:
            if name is None:
                info = topics.by_id(topic_id)
                if info is None:
                    raise KafkaError(
                        ErrorCode.UNKNOWN_TOPIC_ID, "This server does not host this topic ID."
                    )
                name = info.name
                entry["name"] = name
            validate_topic_name(name)
            if topics.is_internal(name):
                raise KafkaError(
                    ErrorCode.INVALID_TOPIC_EXCEPTION, f"Cannot delete internal topic {name}"
                )
            info = topics.require(name)
            entry["topic_id"] = info.topic_id
            topics.delete(name)
            entry["error_code"] = 0
        except KafkaError as exc:
            code, message = error_of(exc)
            entry.update(error_code=code, error_message=message)
        out.append(entry)
    response = respond(ctx, {"throttle_time": 0, "responses": out})
    gone = [str(e["name"]) for e in out if e.get("error_code") == 0]
    if ctx.broker.cluster is not None and gone:
        timeout_ms = int(shapes.millis(getattr(request, "timeout", 0)))
        return _await_deleted(ctx, gone, min(max(timeout_ms, 0), 30000) / 1000, response)
    return response


async def _await_deleted(
    ctx: RequestContext, names: list[str], timeout_s: float, response: Any
) -> Any:
    """Cluster mode (Kafka's DelayedDeleteTopics): answer once the controller deleted them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(ctx.broker.topics.get(n) is None for n in names):
            break
        await asyncio.sleep(0.02)
    return response


SPEC = ApiSpec(20, "DeleteTopics", 1, 6, kio_handler=handle)
