"""Applying config changes (AlterConfigs and IncrementalAlterConfigs) to topics and the broker.

Incremental operations are Kafka's: 0 SET, 1 DELETE, 2 APPEND and 3 SUBTRACT (list configs only).
Broker changes accept the dynamically updatable configs only, apply to the running logs at once
and are stored durably with the topic metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from odradek.common.config import BROKER_CONFIGS, TOPIC_CONFIGS, parse_list
from odradek.common.errors import ErrorCode, KafkaError

if TYPE_CHECKING:
    from odradek.broker.broker import Broker

SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
TOPIC_RESOURCE, BROKER_RESOURCE = 2, 4


def incremental(
    current: dict[str, str],
    ops: Iterable[tuple[str, int, str | None]],
    kinds: dict[str, str],
    defaults: dict[str, str | None] | None = None,
) -> dict[str, str]:
    """Apply incremental operations to a config map; returns the new map.

    APPEND and SUBTRACT start from the config's default when the map has no value, as Kafka does.
    """
    defaults = defaults or {}
    out = dict(current)
    seen: set[str] = set()
    for name, op, value in ops:
        if name in seen:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"Error due to duplicate config keys: {name}"
            )
        seen.add(name)
        if op == SET:
            if value is None:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST, f"Null value not supported for : {name}"
                )
            out[name] = value
        elif op == DELETE:
            out.pop(name, None)
        elif op in (APPEND, SUBTRACT):
            if kinds.get(name) != "list":
                raise KafkaError(
                    ErrorCode.INVALID_CONFIG,
                    f"Config value append is not allowed for config key: {name}",
                )
            default = defaults.get(name)
            items = parse_list(out.get(name, default or ""))
            new = parse_list(value or "")
            if op == APPEND:
                items += [i for i in new if i not in items]
            else:
                items = [i for i in items if i not in new]
            out[name] = ",".join(items)
        else:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Unknown config operation {op}")
    return out


TOPIC_KINDS = {n: d.kind for n, d in TOPIC_CONFIGS.items()}
BROKER_KINDS = {n: d.kind for n, d in BROKER_CONFIGS.items()}
TOPIC_DEFAULTS = {n: d.default for n, d in TOPIC_CONFIGS.items()}
BROKER_DEFAULTS = {n: d.default for n, d in BROKER_CONFIGS.items()}


def set_topic_configs(
    broker: Broker, topic: str, configs: dict[str, str], validate_only: bool
) -> None:
    broker.topics.set_configs(topic, configs, validate_only)


def set_broker_configs(broker: Broker, configs: dict[str, str], validate_only: bool) -> None:
    from odradek.broker.handlers.describe_configs import DYNAMIC_BROKER_CONFIGS

    for name, value in configs.items():
        if name not in DYNAMIC_BROKER_CONFIGS:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"Cannot update these configs dynamically: {{{name}}}"
            )
        BROKER_CONFIGS[name].parse(value)
    if validate_only:
        return
    broker.store.set_broker_configs(configs)
    broker.topics.refresh_log_configs()


def alter_resources(
    broker: Broker,
    resources: Iterable[Any],
    validate_only: bool,
    new_configs: Callable[[Any, dict[str, str], dict[str, str]], dict[str, str]],
    check_broker: Callable[[str], None],
) -> list[dict[str, object]]:
    """Apply a config change to each resource (topic or broker); one result entry per resource.

    ``new_configs(resource, current, kinds)`` computes the resource's new config map.
    """
    out: list[dict[str, object]] = []
    for r in resources:
        entry: dict[str, object] = {
            "resource_type": r.resource_type,
            "resource_name": r.resource_name,
        }
        try:
            if r.resource_type == TOPIC_RESOURCE:
                current = broker.topics.require(r.resource_name).configs
                new = new_configs(r, current, TOPIC_KINDS)
                set_topic_configs(broker, r.resource_name, new, validate_only)
            elif r.resource_type == BROKER_RESOURCE:
                check_broker(r.resource_name)
                new = new_configs(r, broker.store.broker_configs(), BROKER_KINDS)
                set_broker_configs(broker, new, validate_only)
            else:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST, f"Unsupported resource type {r.resource_type}"
                )
            entry["error_code"] = 0
        except KafkaError as exc:
            entry.update(error_code=int(exc.code), error_message=exc.message)
        out.append(entry)
    return out
