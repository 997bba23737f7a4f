"""AlterConfigs (key 33): replace a topic's (or the broker's dynamic) config set."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.config_changes import set_broker_configs, set_topic_configs
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.handlers.describe_configs import BROKER, TOPIC, check_broker_resource
from odradek.common.errors import ErrorCode, KafkaError


def handle(ctx: RequestContext, request: Any) -> Any:
    out = []
    for r in request.resources:
        entry: dict[str, object] = {
            "resource_type": r.resource_type,
            "resource_name": r.resource_name,
        }
        try:
            configs = {}
            for c in r.configs:
                if c.value is None:
                    raise KafkaError(
                        ErrorCode.INVALID_REQUEST, f"Null value not supported for : {c.name}"
                    )
                configs[c.name] = c.value
            if r.resource_type == TOPIC:
                set_topic_configs(ctx.broker, r.resource_name, configs, request.validate_only)
            elif r.resource_type == BROKER:
                check_broker_resource(ctx, r.resource_name)
                set_broker_configs(ctx.broker, configs, request.validate_only)
            else:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST, f"Unsupported resource type {r.resource_type}"
                )
            entry["error_code"] = 0
        except KafkaError as exc:
            code, message = error_of(exc)
            entry.update(error_code=code, error_message=message)
        out.append(entry)
    return respond(ctx, {"throttle_time": 0, "responses": out})


SPEC = ApiSpec(33, "AlterConfigs", 0, 2, kio_handler=handle)
