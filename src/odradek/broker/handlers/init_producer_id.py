"""InitProducerId (key 22): a producer id and epoch for idempotent producers.

Without a transactional id every call returns a fresh producer id with epoch 0. Requests with a
transactional id are answered by the transaction coordinator when one is attached to the broker.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.common.errors import ErrorCode


def handle(ctx: RequestContext, request: Any) -> Any:
    txn_coordinator = getattr(ctx.broker, "txn_coordinator", None)
    if request.transactional_id is not None:
        if txn_coordinator is None:
            return respond(
                ctx,
                {
                    "error_code": ErrorCode.COORDINATOR_NOT_AVAILABLE,
                    "producer_id": -1,
                    "producer_epoch": -1,
                },
            )
        return txn_coordinator.init_producer_id(ctx, request)
    pid = ctx.broker.producer_ids.next_id()
    return respond(ctx, {"error_code": 0, "producer_id": pid, "producer_epoch": 0})


SPEC = ApiSpec(22, "InitProducerId", 0, 5, kio_handler=handle)
