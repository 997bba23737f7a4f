"""AlterPartitionReassignments (key 45, KIP-455): move partition replicas to other brokers.

Served by the controller (NOT_CONTROLLER elsewhere, so clients re-route); the work happens in
:mod:`odradek.controller.admin_ops`. ``replicas = null`` cancels a reassignment in progress.
A single-node broker accepts only its own id as the replica set.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.common.errors import ErrorCode, KafkaError

TopicPartition = tuple[str, int]


def _moves(request: Any) -> dict[TopicPartition, tuple[int, ...] | None]:
    return {
        (t.name, p.partition_index): None if p.replicas is None else tuple(p.replicas)
        for t in request.topics
        for p in t.partitions
    }


def _single_node(
    ctx: RequestContext, moves: dict[TopicPartition, Any]
) -> dict[TopicPartition, int]:
    out = {}
    for (topic, p), replicas in moves.items():
        info = ctx.broker.topics.get(topic)
        if info is None or p >= info.partitions:
            out[(topic, p)] = int(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        elif replicas is None:
            out[(topic, p)] = int(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS)
        elif replicas != (ctx.broker.node_id,):
            out[(topic, p)] = int(ErrorCode.INVALID_REPLICA_ASSIGNMENT)
        else:
            out[(topic, p)] = 0
    return out


def _response(ctx: RequestContext, request: Any, results: dict[TopicPartition, int]) -> Any:
    topics = [
        {
            "name": t.name,
            "partitions": [
                {
                    "partition_index": p.partition_index,
                    "error_code": results[(t.name, p.partition_index)],
                }
                for p in t.partitions
            ],
        }
        for t in request.topics
    ]
    return respond(ctx, {"throttle_time": 0, "error_code": 0, "responses": topics})


async def _on_controller(ctx: RequestContext, request: Any) -> Any:
    assert ctx.broker.cluster is not None
    try:
        results = await ctx.broker.cluster.controller.call("reassign", _moves(request))
    except KafkaError as exc:
        return respond(
            ctx,
            {"throttle_time": 0, "error_code": int(exc.code), "error_message": exc.message,
             "responses": []},
        )  # fmt: skip
    return _response(ctx, request, results)


def handle(ctx: RequestContext, request: Any) -> Any:
    if ctx.broker.cluster is None:
        return _response(ctx, request, _single_node(ctx, _moves(request)))
    return _on_controller(ctx, request)


SPEC = ApiSpec(45, "AlterPartitionReassignments", 0, 0, kio_handler=handle)
