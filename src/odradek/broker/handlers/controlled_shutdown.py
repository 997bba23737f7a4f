"""ControlledShutdown (key 7, v1-v2): a broker about to stop asks the controller to move its
partition leaderships away and take it out of the ISRs; the answer lists the partitions it still
leads (no other eligible replica). Served by the controller only (NOT_CONTROLLER elsewhere).
"""

from __future__ import annotations

from odradek.broker.api import ApiSpec, RawResult
from odradek.broker.context import RequestContext
from odradek.common.errors import ErrorCode, KafkaError
from odradek.replication import wire


def handle(ctx: RequestContext, body: memoryview, offset: int) -> RawResult:
    broker_id = wire.decode_controlled_shutdown(body, offset)
    if ctx.broker.cluster is None:
        return [wire.encode_controlled_shutdown_response(int(ErrorCode.NOT_CONTROLLER), [])]
    return _on_controller(ctx, broker_id)


async def _on_controller(ctx: RequestContext, broker_id: int) -> list[bytes]:
    assert ctx.broker.cluster is not None
    try:
        remaining = await ctx.broker.cluster.controller.call("controlled_shutdown", broker_id)
    except KafkaError as exc:
        return [wire.encode_controlled_shutdown_response(int(exc.code), [])]
    return [wire.encode_controlled_shutdown_response(0, remaining)]


SPEC = ApiSpec(wire.CONTROLLED_SHUTDOWN, "ControlledShutdown", 1, 2, raw_handler=handle)
