"""OffsetFetch (key 9): a group's committed offsets (v8+: several groups per request)."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import coordinator
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import shapes


def _fetch(
    ctx: RequestContext, group_id: str, topics: Any, require_stable: bool
) -> tuple[ErrorCode, list[dict[str, object]]]:
    wanted = None
    if topics is not None:
        wanted = [(t.name, p) for t in topics for p in t.partition_indexes]
    try:
        fetched = coordinator(ctx).fetch_offsets(group_id, wanted, require_stable)
    except KafkaError as exc:
        return exc.code, []
    by_topic: dict[str, list[dict[str, object]]] = {}
    for f in fetched:
        by_topic.setdefault(f.topic, []).append(
            {
                "partition_index": f.partition,
                "committed_offset": f.offset,
                "committed_leader_epoch": f.leader_epoch,
                "metadata": f.metadata,
                "error_code": int(f.error),
            }
        )
    return ErrorCode.NONE, [{"name": n, "partitions": ps} for n, ps in by_topic.items()]


def handle(ctx: RequestContext, request: Any) -> Any:
    stable = bool(shapes.get(request, "require_stable", False))
    if ctx.api_version >= 8:
        groups = []
        for g in request.groups:
            error, topics = _fetch(ctx, g.group_id, g.topics, stable)
            groups.append({"group_id": g.group_id, "topics": topics, "error_code": int(error)})
        return respond(ctx, {"throttle_time": 0, "groups": groups})
    error, topics = _fetch(ctx, request.group_id, request.topics, stable)
    if error != ErrorCode.NONE and ctx.api_version < 2:
        raise KafkaError(error, "offset fetch failed")
    return respond(ctx, {"throttle_time": 0, "topics": topics, "error_code": int(error)})


SPEC = ApiSpec(9, "OffsetFetch", 1, 9, kio_handler=handle)
