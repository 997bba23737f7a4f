"""AlterConfigs (key 33): replace a topic's (or the broker's dynamic) config set."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.config_changes import alter_resources
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.describe_configs import check_broker_resource
from odradek.common.errors import ErrorCode, KafkaError


def _replacement(r: Any, current: dict[str, str], kinds: dict[str, str]) -> dict[str, str]:
    configs: dict[str, str] = {}
    for c in r.configs:
        if c.value is None:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Null value not supported for : {c.name}")
        configs[c.name] = c.value
    return configs


def handle(ctx: RequestContext, request: Any) -> Any:
    out = alter_resources(
        ctx.broker,
        request.resources,
        request.validate_only,
        _replacement,
        lambda name: check_broker_resource(ctx, name),
    )
    return respond(ctx, {"throttle_time": 0, "responses": out})


SPEC = ApiSpec(33, "AlterConfigs", 0, 2, kio_handler=handle)
