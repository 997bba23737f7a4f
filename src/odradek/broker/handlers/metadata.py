"""Metadata (key 3): brokers, controller, and topic partitions with leaders; auto-creation.

Topic selection: a null list asks for every topic; an empty list asks for none (v1+), and for
every topic in v0. Unknown topics are auto-created when the request allows it (v4+ flag, always
before) and ``auto.create.topics.enable`` is on; otherwise UNKNOWN_TOPIC_OR_PARTITION. Topics
requested by id only (v10+) that are unknown get UNKNOWN_TOPIC_ID.
"""

from __future__ import annotations

import uuid
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.topics import validate_topic_name
from odradek.common.errors import ErrorCode, KafkaError
from odradek.controller.metadata_store import TopicInfo
from odradek.protocol import shapes

_UNSET_OPERATIONS = -(2**31)
_ZERO_UUID = uuid.UUID(int=0)


def topic_entry(ctx: RequestContext, info: TopicInfo) -> dict[str, object]:
    node = ctx.broker.node_id
    return {
        "error_code": 0,
        "name": info.name,
        "topic_id": info.topic_id,
        "is_internal": ctx.broker.topics.is_internal(info.name),
        "partitions": [
            {
                "error_code": 0,
                "partition_index": p,
                "leader_id": node,
                "leader_epoch": 0,
                "replica_nodes": [node],
                "isr_nodes": [node],
                "offline_replicas": [],
            }
            for p in range(info.partitions)
        ],
        "topic_authorized_operations": _UNSET_OPERATIONS,
    }


def _error_entry(name: str | None, topic_id: uuid.UUID, code: int) -> dict[str, object]:
    return {
        "error_code": code,
        "name": name,
        "topic_id": topic_id,
        "is_internal": False,
        "partitions": [],
        "topic_authorized_operations": _UNSET_OPERATIONS,
    }


def _lookup(ctx: RequestContext, name: str, auto_create: bool) -> dict[str, object]:
    topics = ctx.broker.topics
    try:
        validate_topic_name(name)
        info = topics.get(name)
        if info is None and auto_create and not topics.is_internal(name):
            info = topics.auto_create(name)
        if info is None:
            return _error_entry(name, _ZERO_UUID, int(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
        return topic_entry(ctx, info)
    except KafkaError as exc:
        return _error_entry(name, _ZERO_UUID, error_of(exc)[0])


def select_topics(ctx: RequestContext, request: Any) -> list[dict[str, object]]:
    requested = request.topics
    if requested is None or (ctx.api_version == 0 and not requested):
        return [topic_entry(ctx, info) for info in ctx.broker.store.topics().values()]
    auto = bool(shapes.get(request, "allow_auto_topic_creation", True))
    out = []
    for t in requested:
        name = t.name
        topic_id = shapes.get(t, "topic_id", None)
        if name is None and topic_id is not None and topic_id != _ZERO_UUID:
            info = ctx.broker.topics.by_id(topic_id)
            if info is None:
                out.append(_error_entry(None, topic_id, int(ErrorCode.UNKNOWN_TOPIC_ID)))
            else:
                out.append(topic_entry(ctx, info))
            continue
        out.append(_lookup(ctx, name or "", auto))
    return out


def handle(ctx: RequestContext, request: Any) -> Any:
    b = ctx.broker
    return respond(
        ctx,
        {
            "throttle_time": 0,
            "brokers": [
                {"node_id": e.node_id, "host": e.host, "port": e.port, "rack": e.rack}
                for e in b.live_brokers()
            ],
            "cluster_id": b.cluster_id,
            "controller_id": b.controller_id(),
            "topics": select_topics(ctx, request),
            "cluster_authorized_operations": _UNSET_OPERATIONS,
        },
    )


SPEC = ApiSpec(3, "Metadata", 0, 12, kio_handler=handle)
