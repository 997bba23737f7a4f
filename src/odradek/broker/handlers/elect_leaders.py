"""ElectLeaders (key 43, KIP-460): preferred (type 0) or unclean (type 1) leader election.

Served by the controller (NOT_CONTROLLER elsewhere); ``topic_partitions = null`` means every
partition. Per partition: ELECTION_NOT_NEEDED when the preferred replica already leads (or, for
unclean, a leader is alive), PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE
when no replica qualifies. A single-node broker always answers ELECTION_NOT_NEEDED.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import shapes

TopicPartition = tuple[str, int]


def _requested(ctx: RequestContext, request: Any) -> list[TopicPartition] | None:
    if request.topic_partitions is None:
        return None
    return [(t.topic, p) for t in request.topic_partitions for p in t.partitions]


def _response(ctx: RequestContext, results: dict[TopicPartition, int], code: int = 0) -> Any:
    by_topic: dict[str, list[dict[str, object]]] = {}
    for (topic, p), err in sorted(results.items()):
        by_topic.setdefault(topic, []).append(
            {"partition_id": p, "error_code": err, "error_message": None}
        )
    return respond(
        ctx,
        {
            "throttle_time": 0,
            "error_code": code,
            "replica_election_results": [
                {"topic": t, "partition_result": parts} for t, parts in by_topic.items()
            ],
        },
    )


async def _on_controller(ctx: RequestContext, request: Any) -> Any:
    assert ctx.broker.cluster is not None
    unclean = int(shapes.get(request, "election_type", 0)) == 1
    try:
        results = await ctx.broker.cluster.controller.call(
            "elect_leaders", (_requested(ctx, request), unclean)
        )
    except KafkaError as exc:
        return _response(ctx, {}, int(exc.code))
    return _response(ctx, results)


def handle(ctx: RequestContext, request: Any) -> Any:
    if ctx.broker.cluster is not None:
        return _on_controller(ctx, request)
    tps = _requested(ctx, request)
    if tps is None:
        tps = [(n, p) for n, i in ctx.broker.store.topics().items() for p in range(i.partitions)]
    return _response(ctx, {tp: int(ErrorCode.ELECTION_NOT_NEEDED) for tp in tps})


SPEC = ApiSpec(43, "ElectLeaders", 0, 2, kio_handler=handle)
