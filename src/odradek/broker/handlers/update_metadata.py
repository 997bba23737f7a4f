"""UpdateMetadata (key 6, v5): the controller's view of live brokers and partition leaders.

Only served in cluster mode; it refreshes the broker's metadata cache, from which Metadata
responses are built. Codec in :mod:`odradek.replication.wire`.
"""

from __future__ import annotations

from odradek.broker.api import ApiSpec, BodyBuffers
from odradek.broker.context import RequestContext
from odradek.common.errors import ErrorCode
from odradek.replication import wire


def handle(ctx: RequestContext, body: memoryview, offset: int) -> BodyBuffers:
    req = wire.decode_update_metadata(body, offset)
    cluster = ctx.broker.cluster
    if cluster is None:
        return [wire.encode_error_only(int(ErrorCode.INVALID_REQUEST))]
    if not cluster.replicas.metadata.update(req):
        return [wire.encode_error_only(int(ErrorCode.STALE_CONTROLLER_EPOCH))]
    return [wire.encode_error_only(0)]


SPEC = ApiSpec(wire.UPDATE_METADATA, "UpdateMetadata", 5, 5, raw_handler=handle)
