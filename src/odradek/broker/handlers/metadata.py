"""Metadata (key 3): brokers, controller, and topic partitions with leaders; auto-creation.

Topic selection: a null list asks for every topic; an empty list asks for none (v1+), and for
every topic in v0. Unknown topics are auto-created when the request allows it (v4+ flag, always
before) and ``auto.create.topics.enable`` is on; otherwise UNKNOWN_TOPIC_OR_PARTITION. Topics
requested by id only (v10+) that are unknown get UNKNOWN_TOPIC_ID.
"""

from __future__ import annotations

import uuid
from typing import Any

from odradek.broker.api import ApiSpec, BodyBuffers
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of
from odradek.broker.topics import validate_topic_name
from odradek.common.errors import ErrorCode, KafkaError
from odradek.controller.metadata_store import TopicInfo
from odradek.protocol import shapes
from odradek.protocol.metadata import (
    MetadataPartition,
    MetadataTopic,
    decode_metadata_request,
    encode_metadata_response,
)

_ZERO_UUID = uuid.UUID(int=0)


def _cluster_partitions(ctx: RequestContext, info: TopicInfo) -> list[MetadataPartition]:
    """Cluster mode: leaders and ISRs as the controller last sent them (UpdateMetadata)."""
    assert ctx.broker.cluster is not None
    cache = ctx.broker.cluster.replicas.metadata
    states = cache.topics.get(info.name, {})
    parts = []
    for p in range(info.partitions):
        s = states.get(p)
        if s is None:
            code = int(ErrorCode.LEADER_NOT_AVAILABLE)
            parts.append(MetadataPartition(code, p, -1, -1, (), ()))
            continue
        code = 0 if s.leader in cache.brokers else int(ErrorCode.LEADER_NOT_AVAILABLE)
        parts.append(
            MetadataPartition(code, p, s.leader, s.leader_epoch, s.replicas, s.isr, s.offline)
        )
    return parts


def topic_entry(ctx: RequestContext, info: TopicInfo) -> MetadataTopic:
    node = ctx.broker.node_id
    replicas = (node,)
    if ctx.broker.cluster is not None:
        parts = _cluster_partitions(ctx, info)
    else:
        parts = [
            MetadataPartition(0, p, node, 0, replicas, replicas) for p in range(info.partitions)
        ]
    return MetadataTopic(
        0, info.name, info.topic_id, ctx.broker.topics.is_internal(info.name), parts
    )


def _error_entry(name: str | None, topic_id: uuid.UUID, code: int) -> MetadataTopic:
    return MetadataTopic(code, name, topic_id, False, ())


def _lookup(ctx: RequestContext, name: str, auto_create: bool) -> MetadataTopic:
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


def select_topics(ctx: RequestContext, request: Any) -> list[MetadataTopic]:
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


def handle(ctx: RequestContext, body: memoryview, offset: int) -> BodyBuffers:
    request = decode_metadata_request(ctx.api_version, body, offset)
    b = ctx.broker
    brokers = [(e.node_id, e.host, e.port, e.rack) for e in b.live_brokers()]
    topics = select_topics(ctx, request)
    return [
        encode_metadata_response(
            ctx.api_version, 0, brokers, b.cluster_id, b.controller_id(), topics
        )
    ]


SPEC = ApiSpec(3, "Metadata", 0, 12, raw_handler=handle)
