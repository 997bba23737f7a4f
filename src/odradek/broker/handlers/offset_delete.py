"""OffsetDelete (key 47): delete a group's committed offsets of topics it does not consume."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import answer, coordinator
from odradek.common.errors import ErrorCode

Result = tuple[ErrorCode, list[tuple[str, int, ErrorCode]]]


def handle(ctx: RequestContext, request: Any) -> Any:
    wanted = [(t.name, p.partition_index) for t in request.topics for p in t.partitions]

    def build(result: Result) -> Any:
        top, parts = result
        by_topic: dict[str, list[dict[str, object]]] = {}
        for topic, part, error in parts:
            by_topic.setdefault(topic, []).append(
                {"partition_index": part, "error_code": int(error)}
            )
        return respond(
            ctx,
            {
                "error_code": int(top),
                "throttle_time": 0,
                "topics": [{"name": n, "partitions": ps} for n, ps in by_topic.items()],
            },
        )

    return answer(
        ctx,
        lambda cb: coordinator(ctx).delete_offsets(
            request.group_id, wanted, lambda top, parts: cb((top, parts))
        ),
        build,
    )


SPEC = ApiSpec(47, "OffsetDelete", 0, 0, kio_handler=handle)
