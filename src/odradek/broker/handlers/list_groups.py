"""ListGroups (key 16): every group this broker coordinates (v4: state filter, v5: type)."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import coordinator
from odradek.protocol import shapes


def handle(ctx: RequestContext, request: Any) -> Any:
    states: set[str] | None = set(shapes.get(request, "states_filter", ())) or None
    types: set[str] | None = set(shapes.get(request, "types_filter", ())) or None
    listed = coordinator(ctx).list_groups(states, types)
    groups = [
        {
            "group_id": g.group_id,
            "protocol_type": g.protocol_type,
            "group_state": g.state,
            "group_type": g.group_type,
        }
        for g in listed
    ]
    return respond(ctx, {"throttle_time": 0, "error_code": 0, "groups": groups})


SPEC = ApiSpec(16, "ListGroups", 0, 5, kio_handler=handle)
