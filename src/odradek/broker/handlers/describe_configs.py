"""DescribeConfigs (key 32): topic and broker configs with their sources and synonyms.

Sources follow Kafka's ``ConfigSource``: 1 dynamic topic, 2 dynamic broker, 3 dynamic default
broker, 4 static broker (server.properties), 5 default. Synonyms list every layer that sets the
value, highest precedence first.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.common.config import BROKER_CONFIGS, TOPIC_CONFIGS, TOPIC_TO_BROKER, ConfigDef
from odradek.common.errors import ErrorCode, KafkaError

TOPIC, BROKER, BROKER_LOGGER = 2, 4, 8
DYNAMIC_TOPIC, DYNAMIC_BROKER, DYNAMIC_DEFAULT_BROKER, STATIC_BROKER, DEFAULT = 1, 2, 3, 4, 5
_TYPES = {"bool": 1, "string": 2, "int": 3, "long": 5, "double": 6, "list": 7}
# Broker configs Kafka can update dynamically (cluster-wide or per broker).
DYNAMIC_BROKER_CONFIGS = frozenset(TOPIC_TO_BROKER.values()) | {
    "log.retention.ms",
    "log.roll.ms",
    "log.retention.check.interval.ms",
    "leader.replication.throttled.rate",
    "follower.replication.throttled.rate",
}


def _entry(
    name: str,
    d: ConfigDef | None,
    layers: list[tuple[int, str, str | None]],
    read_only: bool,
    synonyms: bool,
) -> dict[str, object]:
    source, _syn_name, value = layers[0] if layers else (DEFAULT, name, None)
    return {
        "name": name,
        "value": value,
        "read_only": read_only,
        "config_source": source,
        "is_default": source == DEFAULT,
        "is_sensitive": False,
        "synonyms": [{"name": n, "value": v, "source": s} for s, n, v in layers]
        if synonyms
        else [],
        "config_type": _TYPES.get(d.kind, 2) if d else 2,
        "documentation": None,
    }


def describe_topic_configs(
    ctx: RequestContext,
    topic: str,
    keys: Any,
    overrides: dict[str, str] | None = None,
    synonyms: bool = False,
) -> list[dict[str, object]]:
    broker = ctx.broker
    if overrides is None:
        overrides = broker.topics.require(topic).configs
    dynamic = broker.store.broker_configs()
    static = broker.config.raw
    out = []
    for name, d in sorted(TOPIC_CONFIGS.items()):
        if keys is not None and name not in keys:
            continue
        bname = TOPIC_TO_BROKER.get(name, name)
        layers: list[tuple[int, str, str | None]] = []
        if name in overrides:
            layers.append((DYNAMIC_TOPIC, name, overrides[name]))
        if bname in dynamic:
            layers.append((DYNAMIC_DEFAULT_BROKER, bname, dynamic[bname]))
        if bname in static:
            layers.append((STATIC_BROKER, bname, static[bname]))
        derived = broker.config.topic_defaults().get(name)
        if name in ("retention.ms", "segment.ms") and derived is not None and bname not in static:
            layers.append(
                (STATIC_BROKER if _derived_static(broker, name) else DEFAULT, bname, derived)
            )
        else:
            layers.append((DEFAULT, bname, d.default))
        out.append(_entry(name, d, layers, False, synonyms))
    return out


def _derived_static(broker: Any, name: str) -> bool:
    raw = broker.config.raw
    if name == "retention.ms":
        return any(k in raw for k in ("log.retention.hours", "log.retention.minutes"))
    return "log.roll.hours" in raw


def describe_broker_configs(
    ctx: RequestContext, keys: Any, synonyms: bool
) -> list[dict[str, object]]:
    broker = ctx.broker
    dynamic = broker.store.broker_configs()
    static = broker.config.raw
    out = []
    for name, d in sorted(BROKER_CONFIGS.items()):
        if keys is not None and name not in keys:
            continue
        layers: list[tuple[int, str, str | None]] = []
        if name in dynamic:
            layers.append((DYNAMIC_BROKER, name, dynamic[name]))
        if name in static:
            layers.append((STATIC_BROKER, name, static[name]))
        layers.append((DEFAULT, name, d.default))
        if name == "broker.id" and name not in static:
            layers.insert(0, (STATIC_BROKER, name, str(broker.node_id)))
        out.append(_entry(name, d, layers, name not in DYNAMIC_BROKER_CONFIGS, synonyms))
    return out


def check_broker_resource(ctx: RequestContext, name: str) -> None:
    if name == "":
        return
    if not name.isdigit():
        raise KafkaError(
            ErrorCode.INVALID_REQUEST, f"Broker id must be an integer, but it is: {name}"
        )
    if int(name) != ctx.broker.node_id:
        raise KafkaError(
            ErrorCode.INVALID_REQUEST,
            f"Unexpected broker id, expected {ctx.broker.node_id} but received {name}",
        )


def handle(ctx: RequestContext, request: Any) -> Any:
    synonyms = bool(getattr(request, "include_synonyms", False))
    results = []
    for r in request.resources:
        entry: dict[str, object] = {
            "resource_type": r.resource_type,
            "resource_name": r.resource_name,
        }
        try:
            if r.resource_type == TOPIC:
                configs = describe_topic_configs(
                    ctx, r.resource_name, r.configuration_keys, None, synonyms
                )
            elif r.resource_type == BROKER:
                check_broker_resource(ctx, r.resource_name)
                configs = describe_broker_configs(ctx, r.configuration_keys, synonyms)
            elif r.resource_type == BROKER_LOGGER:
                check_broker_resource(ctx, r.resource_name)
                configs = []
            else:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST, f"Unsupported resource type {r.resource_type}"
                )
            entry.update(error_code=0, configs=configs)
        except KafkaError as exc:
            code, message = error_of(exc)
            entry.update(error_code=code, error_message=message, configs=[])
        results.append(entry)
    return respond(ctx, {"throttle_time": 0, "results": results})


SPEC = ApiSpec(32, "DescribeConfigs", 0, 4, kio_handler=handle)
