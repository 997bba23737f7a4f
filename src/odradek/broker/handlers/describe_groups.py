"""DescribeGroups (key 15): state, protocol and members of classic (or consumer) groups."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import coordinator
from odradek.common.errors import KafkaError

_UNSET_OPERATIONS = -(2**31)


def _describe(ctx: RequestContext, group_id: str) -> dict[str, object]:
    try:
        g = coordinator(ctx).describe_group(group_id)
    except KafkaError as exc:
        return {
            "error_code": int(exc.code),
            "group_id": group_id,
            "group_state": "",
            "protocol_type": "",
            "protocol_data": "",
            "authorized_operations": _UNSET_OPERATIONS,
        }
    return {
        "error_code": int(g.error),
        "group_id": group_id,
        "group_state": g.state,
        "protocol_type": g.protocol_type,
        "protocol_data": g.protocol,
        "members": [
            {
                "member_id": m.member_id,
                "group_instance_id": m.group_instance_id,
                "client_id": m.client_id,
                "client_host": m.client_host,
                "member_metadata": m.metadata,
                "member_assignment": m.assignment,
            }
            for m in g.members
        ],
        "authorized_operations": _UNSET_OPERATIONS,
    }


def handle(ctx: RequestContext, request: Any) -> Any:
    groups = [_describe(ctx, gid) for gid in request.groups]
    return respond(ctx, {"throttle_time": 0, "groups": groups})


SPEC = ApiSpec(15, "DescribeGroups", 0, 5, kio_handler=handle)
