"""JoinGroup (key 11): classic group membership; answers once the rebalance's join completes."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import answer, client_host, coordinator
from odradek.coordinator.group.api import JoinGroupRequest, JoinGroupResponse
from odradek.protocol import shapes


def handle(ctx: RequestContext, request: Any) -> Any:
    session = shapes.millis(request.session_timeout)
    req = JoinGroupRequest(
        group_id=request.group_id,
        member_id=request.member_id,
        session_timeout_ms=session,
        rebalance_timeout_ms=shapes.millis(shapes.get(request, "rebalance_timeout", session)),
        protocol_type=request.protocol_type,
        protocols=tuple((p.name, bytes(p.metadata)) for p in request.protocols),
        group_instance_id=shapes.get(request, "group_instance_id", None),
        client_id=ctx.client_id or "",
        client_host=client_host(ctx),
        version=ctx.api_version,
        reason=shapes.get(request, "reason", None),
    )
    flexible_names = ctx.api_version >= 7

    def build(r: JoinGroupResponse) -> Any:
        return respond(
            ctx,
            {
                "throttle_time": 0,
                "error_code": int(r.error),
                "generation_id": r.generation_id,
                "protocol_type": r.protocol_type,
                "protocol_name": r.protocol_name if flexible_names else (r.protocol_name or ""),
                "leader": r.leader,
                "skip_assignment": r.skip_assignment,
                "member_id": r.member_id,
                "members": [
                    {
                        "member_id": m.member_id,
                        "group_instance_id": m.group_instance_id,
                        "metadata": m.metadata,
                    }
                    for m in r.members
                ],
            },
        )

    return answer(ctx, lambda cb: coordinator(ctx).join_group(req, cb), build)


SPEC = ApiSpec(11, "JoinGroup", 0, 9, kio_handler=handle)
