"""IncrementalAlterConfigs (key 44): SET, DELETE, APPEND, SUBTRACT on configs."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.config_changes import (
    BROKER_DEFAULTS,
    BROKER_KINDS,
    TOPIC_DEFAULTS,
    alter_resources,
    incremental,
)
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.describe_configs import check_broker_resource


def _apply_ops(r: Any, current: dict[str, str], kinds: dict[str, str]) -> dict[str, str]:
    defaults = BROKER_DEFAULTS if kinds is BROKER_KINDS else TOPIC_DEFAULTS
    ops = [(c.name, c.config_operation, c.value) for c in r.configs]
    return incremental(current, ops, kinds, defaults)


def handle(ctx: RequestContext, request: Any) -> Any:
    out = alter_resources(
        ctx.broker,
        request.resources,
        request.validate_only,
        _apply_ops,
        lambda name: check_broker_resource(ctx, name),
    )
    return respond(ctx, {"throttle_time": 0, "responses": out})


SPEC = ApiSpec(44, "IncrementalAlterConfigs", 0, 1, kio_handler=handle)
