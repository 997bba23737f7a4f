"""DescribeCluster (key 60): cluster id, controller and the live brokers."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.protocol import shapes

_UNSET_OPERATIONS = -(2**31)


def handle(ctx: RequestContext, request: Any) -> Any:
    endpoint_type = shapes.get(request, "endpoint_type", 1)
    if endpoint_type != 1:
        return respond(
            ctx,
            {
                "error_code": 114,  # MISMATCHED_ENDPOINT_TYPE
                "error_message": "The request was sent to an endpoint of type BROKER",
                "endpoint_type": 1,
                "cluster_authorized_operations": _UNSET_OPERATIONS,
            },
        )
    b = ctx.broker
    return respond(
        ctx,
        {
            "error_code": 0,
            "endpoint_type": 1,
            "cluster_id": b.cluster_id,
            "controller_id": b.controller_id(),
            "brokers": [
                {"broker_id": e.node_id, "host": e.host, "port": e.port, "rack": e.rack}
                for e in b.live_brokers()
            ],
            "cluster_authorized_operations": _UNSET_OPERATIONS,
        },
    )


SPEC = ApiSpec(60, "DescribeCluster", 0, 1, kio_handler=handle)
