"""InitProducerId (key 22): a producer id and epoch for idempotent and transactional producers.

Without a transactional id every call returns a fresh producer id with epoch 0. With one, the
transaction coordinator (``broker.transactions``) answers: epoch bumps, fencing of an open
transaction, KIP-360 retries and recovery (v3+ carry the producer id/epoch the client had).
In cluster mode the answer waits until the coordinator's record is committed (:func:`settled`).
Before v4 a fenced producer is told INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.txn.driver import TxnCoordinatorDriver
from odradek.protocol import shapes


def txn_driver(ctx: RequestContext) -> TxnCoordinatorDriver:
    """The transaction coordinator, with ``__transaction_state`` created and loaded."""
    driver: TxnCoordinatorDriver | None = getattr(ctx.broker, "transactions", None)
    if driver is None:
        raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, "no transaction coordinator")
    driver.ensure_loaded()
    return driver


def fenced_code(code: ErrorCode, version: int, since: int) -> ErrorCode:
    """PRODUCER_FENCED as versions before ``since`` know it: INVALID_PRODUCER_EPOCH."""
    if code == ErrorCode.PRODUCER_FENCED and version < since:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    return code


def handle(ctx: RequestContext, request: Any) -> Any:
    if request.transactional_id is None:
        pid = ctx.broker.producer_ids.next_id()
        return respond(ctx, {"error_code": 0, "producer_id": pid, "producer_epoch": 0})
    driver = txn_driver(ctx)
    expected = (
        int(shapes.get(request, "producer_id", -1)),
        int(shapes.get(request, "producer_epoch", -1)),
    )
    timeout = request.transaction_timeout
    timeout_ms = (
        int(timeout.total_seconds() * 1000) if hasattr(timeout, "total_seconds") else int(timeout)
    )
    code, pid, epoch = driver.coordinator.init_producer_id(
        request.transactional_id, timeout_ms, expected
    )
    driver.wake()
    version = ctx.api_version

    def build(error: ErrorCode) -> Any:
        if error != ErrorCode.NONE:
            body = {"error_code": fenced_code(error, version, 4), "producer_id": -1,
                    "producer_epoch": -1}  # fmt: skip
            return respond(ctx, body)
        return respond(ctx, {"error_code": 0, "producer_id": pid, "producer_epoch": epoch})

    return settled(ctx, driver, request.transactional_id, code, build)


def settled(
    ctx: RequestContext,
    driver: TxnCoordinatorDriver,
    txn_id: str,
    code: ErrorCode,
    build: Callable[[ErrorCode], Any],
) -> Any:
    """Build the response once the coordinator's records are committed (cluster mode: acks=-1
    on ``__transaction_state``); at once on a single broker."""
    if ctx.broker.cluster is None:
        return build(code)
    return _later(driver, txn_id, code, build)


async def _later(
    driver: TxnCoordinatorDriver, txn_id: str, code: ErrorCode, build: Callable[[ErrorCode], Any]
) -> Any:
    return build(await driver.settle(txn_id, code))


SPEC = ApiSpec(22, "InitProducerId", 0, 5, kio_handler=handle)
