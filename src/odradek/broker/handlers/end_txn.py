"""EndTxn (key 26): commit or abort the producer's transaction.

The coordinator writes PrepareCommit/PrepareAbort, then the markers to every partition of the
transaction and CompleteCommit/CompleteAbort. On one broker all of it happens before the answer;
in a cluster the answer follows the commit of the Prepare record (as in Kafka) and the markers go
to the partition leaders afterwards. A marker that cannot be written yet is retried and the
client, meanwhile, gets CONCURRENT_TRANSACTIONS on its next transactional request.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.init_producer_id import fenced_code, settled, txn_driver
from odradek.common.errors import ErrorCode


def handle(ctx: RequestContext, request: Any) -> Any:
    driver = txn_driver(ctx)
    code = driver.coordinator.end_txn(
        request.transactional_id,
        request.producer_id,
        request.producer_epoch,
        bool(request.committed),
    )
    driver.wake()
    version = ctx.api_version

    def build(error: ErrorCode) -> Any:
        return respond(ctx, {"throttle_time": 0, "error_code": fenced_code(error, version, 2)})

    return settled(ctx, driver, request.transactional_id, code, build)


SPEC = ApiSpec(26, "EndTxn", 0, 4, kio_handler=handle)
