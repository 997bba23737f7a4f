"""CreateAcls (key 30): SECURITY_DISABLED for every creation while no authorizer is configured."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.acls_disabled import CODE, MESSAGE
from odradek.broker.handlers.base import respond


def handle(ctx: RequestContext, request: Any) -> Any:
    results = [{"error_code": CODE, "error_message": MESSAGE} for _ in request.creations]
    return respond(ctx, {"throttle_time": 0, "results": results})


SPEC = ApiSpec(30, "CreateAcls", 1, 3, kio_handler=handle)
