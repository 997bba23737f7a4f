"""AddOffsetsToTxn (key 25): the group's ``__consumer_offsets`` partition joins the transaction.

The consumer offsets the producer then sends with TxnOffsetCommit become visible when the
transaction commits (the COMMIT marker on that partition).
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.init_producer_id import fenced_code, settled, txn_driver
from odradek.common.errors import ErrorCode
from odradek.coordinator.group.config import partition_for
from odradek.coordinator.txn.driver import OFFSETS_TOPIC


def handle(ctx: RequestContext, request: Any) -> Any:
    driver = txn_driver(ctx)
    ctx.broker.groups.ensure_loaded()
    n = ctx.broker.groups.coordinator.config.offsets_topic_num_partitions
    tp = (OFFSETS_TOPIC, partition_for(request.group_id, n))
    code = driver.coordinator.add_partitions(
        request.transactional_id, request.producer_id, request.producer_epoch, frozenset([tp])
    )
    driver.wake()
    version = ctx.api_version

    def build(error: ErrorCode) -> Any:
        return respond(ctx, {"throttle_time": 0, "error_code": fenced_code(error, version, 2)})

    return settled(ctx, driver, request.transactional_id, code, build)


SPEC = ApiSpec(25, "AddOffsetsToTxn", 0, 3, kio_handler=handle)
