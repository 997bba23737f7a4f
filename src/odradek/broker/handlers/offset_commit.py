"""OffsetCommit (key 8): commit offsets for a group, with generation / member epoch checks."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import answer, coordinator
from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.group.api import OffsetCommitRequest, TopicPartitionOffset
from odradek.protocol import shapes

Errors = dict[tuple[str, int], ErrorCode]


def _known(ctx: RequestContext, topic: str, partition: int) -> bool:
    info = ctx.broker.topics.get(topic)
    return info is not None and 0 <= partition < info.partitions


def handle(ctx: RequestContext, request: Any) -> Any:
    retention = shapes.get(request, "retention_time", -1)
    order: list[tuple[str, int]] = []
    errors: Errors = {}
    offsets = []
    for t in request.topics:
        for p in t.partitions:
            tp = (t.name, p.partition_index)
            order.append(tp)
            if not _known(ctx, *tp):
                errors[tp] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                continue
            offsets.append(
                TopicPartitionOffset(
                    t.name,
                    p.partition_index,
                    p.committed_offset,
                    shapes.get(p, "committed_leader_epoch", -1),
                    p.committed_metadata,
                )
            )
    req = OffsetCommitRequest(
        group_id=request.group_id,
        generation_id=shapes.get(request, "generation_id_or_member_epoch", -1),
        member_id=shapes.get(request, "member_id", ""),
        offsets=tuple(offsets),
        group_instance_id=shapes.get(request, "group_instance_id", None),
        retention_time_ms=shapes.millis(retention) if retention != -1 else -1,
        version=ctx.api_version,
    )

    def build(results: list[tuple[str, int, ErrorCode]]) -> Any:
        for topic, part, error in results:
            errors[(topic, part)] = error
        by_topic: dict[str, list[dict[str, object]]] = {}
        for topic, part in order:
            entry: dict[str, object] = {
                "partition_index": part,
                "error_code": int(errors[(topic, part)]),
            }
            by_topic.setdefault(topic, []).append(entry)
        topics = [{"name": n, "partitions": ps} for n, ps in by_topic.items()]
        return respond(ctx, {"throttle_time": 0, "topics": topics})

    if not offsets:
        return build([])
    try:
        return answer(ctx, lambda cb: coordinator(ctx).commit_offsets(req, cb), build)
    except KafkaError as exc:
        return build([(o.topic, o.partition, exc.code) for o in offsets])


SPEC = ApiSpec(8, "OffsetCommit", 2, 9, kio_handler=handle)
