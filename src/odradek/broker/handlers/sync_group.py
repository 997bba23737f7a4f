"""SyncGroup (key 14): the leader's assignment, handed to every member of the generation."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import answer, coordinator
from odradek.coordinator.group.api import SyncGroupRequest, SyncGroupResponse
from odradek.protocol import shapes


def handle(ctx: RequestContext, request: Any) -> Any:
    req = SyncGroupRequest(
        group_id=request.group_id,
        generation_id=request.generation_id,
        member_id=request.member_id,
        assignments=tuple((a.member_id, bytes(a.assignment)) for a in request.assignments),
        group_instance_id=shapes.get(request, "group_instance_id", None),
        protocol_type=shapes.get(request, "protocol_type", None),
        protocol_name=shapes.get(request, "protocol_name", None),
    )

    def build(r: SyncGroupResponse) -> Any:
        return respond(
            ctx,
            {
                "throttle_time": 0,
                "error_code": int(r.error),
                "protocol_type": r.protocol_type,
                "protocol_name": r.protocol_name,
                "assignment": r.assignment,
            },
        )

    return answer(ctx, lambda cb: coordinator(ctx).sync_group(req, cb), build)


SPEC = ApiSpec(14, "SyncGroup", 0, 5, kio_handler=handle)
