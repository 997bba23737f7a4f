"""LeaderAndIsr (key 4, v2): the controller makes this broker leader or follower of partitions.

Only served in cluster mode; the request comes from the controller (another broker or this
one) over the inter-broker listener. Codec in :mod:`odradek.replication.wire`.
"""

from __future__ import annotations

from odradek.broker.api import ApiSpec, BodyBuffers
from odradek.broker.context import RequestContext
from odradek.common.errors import ErrorCode
from odradek.replication import wire


def handle(ctx: RequestContext, body: memoryview, offset: int) -> BodyBuffers:
    req = wire.decode_leader_and_isr(body, offset)
    cluster = ctx.broker.cluster
    if cluster is None:
        errors = [(s.topic, s.partition, int(ErrorCode.INVALID_REQUEST)) for s in req.partitions]
        return [wire.encode_partition_errors(int(ErrorCode.INVALID_REQUEST), errors)]
    error, errors = cluster.replicas.leader_and_isr(req)
    return [wire.encode_partition_errors(error, errors)]


SPEC = ApiSpec(wire.LEADER_AND_ISR, "LeaderAndIsr", 2, 2, raw_handler=handle)
