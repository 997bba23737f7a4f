"""LeaveGroup (key 13): members leave a classic group (v3+: a batch, KIP-345)."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import answer, coordinator
from odradek.common.errors import ErrorCode
from odradek.coordinator.group.api import LeavingMember


def handle(ctx: RequestContext, request: Any) -> Any:
    if ctx.api_version >= 3:
        members = [
            LeavingMember(m.member_id, m.group_instance_id, getattr(m, "reason", None))
            for m in request.members
        ]
    else:
        members = [LeavingMember(request.member_id)]

    def build(result: tuple[ErrorCode, list[ErrorCode]]) -> Any:
        top, errors = result
        if ctx.api_version < 3:
            return respond(ctx, {"throttle_time": 0, "error_code": int(errors[0])})
        return respond(
            ctx,
            {
                "throttle_time": 0,
                "error_code": int(top),
                "members": [
                    {
                        "member_id": m.member_id,
                        "group_instance_id": m.group_instance_id,
                        "error_code": int(e),
                    }
                    for m, e in zip(members, errors, strict=True)
                ],
            },
        )

    return answer(
        ctx,
        lambda cb: coordinator(ctx).leave_group(
            request.group_id, members, lambda top, errs: cb((top, errs))
        ),
        build,
    )


SPEC = ApiSpec(13, "LeaveGroup", 0, 5, kio_handler=handle)
