"""DescribeProducers (key 61): the active producers of partitions (KIP-664).

Per producer: id, epoch, last sequence, last timestamp, coordinator epoch and the first
offset of its open transaction (-1 if none) — what ``odradek transactions`` needs to find
a hanging transaction.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.common.errors import KafkaError


def _partition(ctx: RequestContext, topic: str, index: int) -> dict[str, object]:
    try:
        lg = ctx.broker.replicas.log_for(topic, index)
    except KafkaError as exc:
        code, message = error_of(exc)
        return {
            "partition_index": index,
            "error_code": code,
            "error_message": message,
            "active_producers": [],
        }
    producers = [
        {
            "producer_id": e.producer_id,
            "producer_epoch": e.epoch,
            "last_sequence": e.last_seq,
            "last_timestamp": e.last_timestamp,
            "coordinator_epoch": e.coordinator_epoch,
            "current_txn_start_offset": e.txn_first_offset,
        }
        for e in sorted(lg.txns.producers.producers.values(), key=lambda e: e.producer_id)
    ]
    return {"partition_index": index, "error_code": 0, "active_producers": producers}


def handle(ctx: RequestContext, request: Any) -> Any:
    topics = [
        {"name": t.name, "partitions": [_partition(ctx, t.name, p) for p in t.partition_indexes]}
        for t in request.topics
    ]
    return respond(ctx, {"throttle_time": 0, "topics": topics})


SPEC = ApiSpec(61, "DescribeProducers", 0, 0, kio_handler=handle)
