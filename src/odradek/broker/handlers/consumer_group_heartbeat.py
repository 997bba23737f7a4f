"""ConsumerGroupHeartbeat (key 68): the KIP-848 consumer group protocol."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import answer, client_host, coordinator
from odradek.coordinator.group.api import ConsumerHeartbeatRequest, ConsumerHeartbeatResponse
from odradek.protocol import shapes


def handle(ctx: RequestContext, request: Any) -> Any:
    owned = None
    if request.topic_partitions is not None:
        owned = {tp.topic_id: frozenset(tp.partitions) for tp in request.topic_partitions}
    names = request.subscribed_topic_names
    req = ConsumerHeartbeatRequest(
        group_id=request.group_id,
        member_id=request.member_id,
        member_epoch=request.member_epoch,
        instance_id=request.instance_id,
        rack_id=request.rack_id,
        rebalance_timeout_ms=shapes.millis(request.rebalance_timeout),
        subscribed_topic_names=None if names is None else tuple(names),
        server_assignor=request.server_assignor,
        owned=owned,
        client_id=ctx.client_id or "",
        client_host=client_host(ctx),
        subscribed_topic_regex=shapes.get(request, "subscribed_topic_regex", None),
    )

    def build(r: ConsumerHeartbeatResponse) -> Any:
        assignment = None
        if r.assignment is not None:
            assignment = {
                "topic_partitions": [
                    {"topic_id": tid, "partitions": sorted(ps)}
                    for tid, ps in sorted(r.assignment.items(), key=lambda kv: kv[0].bytes)
                ]
            }
        return respond(
            ctx,
            {
                "throttle_time": 0,
                "error_code": int(r.error),
                "error_message": r.error_message,
                "member_id": r.member_id,
                "member_epoch": r.member_epoch,
                "heartbeat_interval": r.heartbeat_interval_ms,
                "assignment": assignment,
            },
        )

    return answer(ctx, lambda cb: coordinator(ctx).consumer_group_heartbeat(req, cb), build)


SPEC = ApiSpec(68, "ConsumerGroupHeartbeat", 0, 1, kio_handler=handle)
