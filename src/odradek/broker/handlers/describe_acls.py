"""DescribeAcls (key 29): SECURITY_DISABLED while no authorizer is configured, as in Kafka."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.acls_disabled import CODE, MESSAGE
from odradek.broker.handlers.base import respond


def handle(ctx: RequestContext, request: Any) -> Any:
    return respond(
        ctx, {"throttle_time": 0, "error_code": CODE, "error_message": MESSAGE, "resources": []}
    )


SPEC = ApiSpec(29, "DescribeAcls", 1, 3, kio_handler=handle)
