"""IncrementalAlterConfigs (key 44): SET, DELETE, APPEND, SUBTRACT on configs."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.config_changes import (
    BROKER_KINDS,
    TOPIC_KINDS,
    incremental,
    set_broker_configs,
    set_topic_configs,
)
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.handlers.describe_configs import BROKER, TOPIC, check_broker_resource
from odradek.common.errors import ErrorCode, KafkaError


def handle(ctx: RequestContext, request: Any) -> Any:
    out = []
    broker = ctx.broker
    for r in request.resources:
        entry: dict[str, object] = {
            "resource_type": r.resource_type,
            "resource_name": r.resource_name,
        }
        ops = [(c.name, c.config_operation, c.value) for c in r.configs]
        try:
            if r.resource_type == TOPIC:
                current = broker.topics.require(r.resource_name).configs
                new = incremental(current, ops, TOPIC_KINDS)
                set_topic_configs(broker, r.resource_name, new, request.validate_only)
            elif r.resource_type == BROKER:
                check_broker_resource(ctx, r.resource_name)
                new = incremental(broker.store.broker_configs(), ops, BROKER_KINDS)
                set_broker_configs(broker, new, request.validate_only)
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


SPEC = ApiSpec(44, "IncrementalAlterConfigs", 0, 1, kio_handler=handle)
