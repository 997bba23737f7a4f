"""DeleteAcls (key 31): SECURITY_DISABLED for every filter while no authorizer is configured."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.acls_disabled import CODE, MESSAGE
from odradek.broker.handlers.base import respond


def handle(ctx: RequestContext, request: Any) -> Any:
    results = [
        {"error_code": CODE, "error_message": MESSAGE, "matching_acls": []} for _ in request.filters
    ]
    return respond(ctx, {"throttle_time": 0, "filter_results": results})


SPEC = ApiSpec(31, "DeleteAcls", 1, 3, kio_handler=handle)
