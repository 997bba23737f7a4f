"""EndTxn (key 26): commit or abort the producer's transaction.

The coordinator writes PrepareCommit/PrepareAbort, the markers to every partition of the
transaction and CompleteCommit/CompleteAbort before answering (one broker leads every
partition); a marker that cannot be written yet is retried and the client, meanwhile, gets
CONCURRENT_TRANSACTIONS on its next transactional request.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.init_producer_id import fenced_code, txn_driver


def handle(ctx: RequestContext, request: Any) -> Any:
    driver = txn_driver(ctx)
    code = driver.coordinator.end_txn(
        request.transactional_id,
        request.producer_id,
        request.producer_epoch,
        bool(request.committed),
    )
    driver.wake()
    return respond(ctx, {"throttle_time": 0, "error_code": fenced_code(code, ctx.api_version, 2)})


SPEC = ApiSpec(26, "EndTxn", 0, 4, kio_handler=handle)
