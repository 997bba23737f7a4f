"""ListTransactions (key 66): transactional ids, filtered by state, producer id, duration
(v1: open longer than ``duration_filter`` ms) and id pattern (v2, a Java-style regex)."""

from __future__ import annotations

import re
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.init_producer_id import txn_driver
from odradek.coordinator.txn.records import TxnState
from odradek.protocol import shapes

_NAMES = {s.kafka_name: s for s in TxnState}


def handle(ctx: RequestContext, request: Any) -> Any:
    states = list(request.state_filters)
    unknown = [s for s in states if s not in _NAMES]
    wanted = {_NAMES[s] for s in states if s in _NAMES}
    pids = set(request.producer_id_filters)
    duration = int(shapes.get(request, "duration_filter", -1))
    pattern = shapes.get(request, "transactional_id_pattern", None)
    regex = re.compile(pattern) if pattern else None
    now = ctx.now_ms
    out = []
    for m in txn_driver(ctx).coordinator.all_transactions():
        if states and m.state not in wanted:
            continue
        if pids and m.producer_id not in pids:
            continue
        if duration >= 0 and (m.state != TxnState.ONGOING or now - m.start_ms < duration):
            continue
        if regex is not None and not regex.fullmatch(m.transactional_id):
            continue
        out.append(
            {
                "transactional_id": m.transactional_id,
                "producer_id": m.producer_id,
                "transaction_state": m.state.kafka_name,
            }
        )
    return respond(
        ctx,
        {
            "throttle_time": 0,
            "error_code": 0,
            "unknown_state_filters": unknown,
            "transaction_states": out,
        },
    )


SPEC = ApiSpec(66, "ListTransactions", 0, 1, kio_handler=handle)
