"""ApiVersions (key 18): the versions of every API this broker serves, from the registry."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond


def handle(ctx: RequestContext, request: Any) -> Any:
    specs = ctx.broker.api_specs
    return respond(
        ctx,
        {
            "error_code": 0,
            "api_keys": [
                {"api_key": s.api_key, "min_version": s.min_version, "max_version": s.max_version}
                for s in sorted(specs, key=lambda s: s.api_key)
            ],
            "throttle_time": 0,
            "finalized_features_epoch": -1,
        },
    )


SPEC = ApiSpec(18, "ApiVersions", 0, 4, kio_handler=handle)
