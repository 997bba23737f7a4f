"""Heartbeat (key 12): keeps a classic member alive; tells it when a rebalance started."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import answer, coordinator
from odradek.common.errors import ErrorCode
from odradek.protocol import shapes


def handle(ctx: RequestContext, request: Any) -> Any:
    instance = shapes.get(request, "group_instance_id", None)

    def build(error: ErrorCode) -> Any:
        return respond(ctx, {"throttle_time": 0, "error_code": int(error)})

    return answer(
        ctx,
        lambda cb: coordinator(ctx).heartbeat(
            request.group_id, request.member_id, request.generation_id, instance, cb
        ),
        build,
    )


SPEC = ApiSpec(12, "Heartbeat", 0, 4, kio_handler=handle)
