"""DescribeTransactions (key 65): state, producer, timeout and partitions of transactional ids."""

from __future__ import annotations

import datetime
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.handlers.init_producer_id import txn_driver
from odradek.common.errors import ErrorCode, KafkaError


def _one(ctx: RequestContext, txn_id: str) -> dict[str, object]:
    empty: dict[str, object] = {
        "transactional_id": txn_id,
        "transaction_state": "",
        "transaction_timeout": 0,
        "transaction_start_time": -1,
        "producer_id": -1,
        "producer_epoch": -1,
        "topics": [],
    }
    try:
        m = txn_driver(ctx).coordinator.describe(txn_id)
    except KafkaError as exc:
        return {**empty, "error_code": error_of(exc)[0]}
    if m is None:
        return {**empty, "error_code": ErrorCode.TRANSACTIONAL_ID_NOT_FOUND}
    by_topic: dict[str, list[int]] = {}
    for t, p in sorted(m.partitions):
        by_topic.setdefault(t, []).append(p)
    return {
        "error_code": 0,
        "transactional_id": txn_id,
        "transaction_state": m.state.kafka_name,
        "transaction_timeout": m.timeout_ms,
        "transaction_start_time": m.start_ms,
        "producer_id": m.producer_id,
        "producer_epoch": m.epoch,
        "topics": [{"topic": t, "partitions": ps} for t, ps in by_topic.items()],
    }


def handle(ctx: RequestContext, request: Any) -> Any:
    states = [_one(ctx, t) for t in request.transactional_ids]
    for s in states:
        start = s["transaction_start_time"]
        assert isinstance(start, int)
        s["transaction_start_time"] = (
            datetime.datetime.fromtimestamp(max(start, 0) / 1000, datetime.UTC)
            if start >= 0
            else -1
        )
    return respond(ctx, {"throttle_time": 0, "transaction_states": states})


SPEC = ApiSpec(65, "DescribeTransactions", 0, 0, kio_handler=handle)
