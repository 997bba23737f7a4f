"""DeleteGroups (key 42): delete empty groups and their committed offsets."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import coordinator
from odradek.common.errors import ErrorCode, KafkaError


def _delete(ctx: RequestContext, group_id: str) -> ErrorCode:
    try:
        return coordinator(ctx).delete_group(group_id)
    except KafkaError as exc:
        return exc.code


def handle(ctx: RequestContext, request: Any) -> Any:
    results = [
        {"group_id": gid, "error_code": int(_delete(ctx, gid))} for gid in request.groups_names
    ]
    return respond(ctx, {"throttle_time": 0, "results": results})


SPEC = ApiSpec(42, "DeleteGroups", 0, 2, kio_handler=handle)
