"""StopReplica (key 5, v1): stop replicating partitions here and, for topic deletion, delete them.

Only served in cluster mode. Codec in :mod:`odradek.replication.wire`.
"""

from __future__ import annotations

from odradek.broker.api import ApiSpec, BodyBuffers
from odradek.broker.context import RequestContext
from odradek.common.errors import ErrorCode
from odradek.replication import wire


def handle(ctx: RequestContext, body: memoryview, offset: int) -> BodyBuffers:
    req = wire.decode_stop_replica(body, offset)
    cluster = ctx.broker.cluster
    if cluster is None:
        return [wire.encode_partition_errors(int(ErrorCode.INVALID_REQUEST), [])]
    error, errors = cluster.replicas.stop_replica(req)
    return [wire.encode_partition_errors(error, errors)]


SPEC = ApiSpec(wire.STOP_REPLICA, "StopReplica", 1, 1, raw_handler=handle)
