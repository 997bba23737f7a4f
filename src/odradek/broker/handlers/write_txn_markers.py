"""WriteTxnMarkers (key 27): append COMMIT/ABORT markers to partitions led here.

Sent by a transaction coordinator to partition leaders in a cluster, and by ``odradek
transactions abort`` to close a hanging transaction (Kafka's tool does the same). In cluster
mode the markers are appended with acks=-1 and the answer waits until they are replicated
(high watermark past them); a partition not led here answers NOT_LEADER_OR_FOLLOWER, and the
coordinator retries with the new leader.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.init_producer_id import txn_driver
from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.txn.markers import MarkerRequest

Errors = dict[tuple[str, int], ErrorCode]


def _requests(request: Any) -> list[MarkerRequest]:
    return [
        MarkerRequest(
            marker.producer_id,
            marker.producer_epoch,
            marker.coordinator_epoch,
            bool(marker.transaction_result),
            tuple((t.name, p) for t in marker.topics for p in t.partition_indexes),
        )
        for marker in request.markers
    ]


def _build(ctx: RequestContext, markers: list[MarkerRequest], answers: list[Errors]) -> Any:
    results = []
    for marker, errors in zip(markers, answers, strict=True):
        by_topic: dict[str, list[dict[str, object]]] = {}
        for (t, p), code in errors.items():
            by_topic.setdefault(t, []).append({"partition_index": p, "error_code": int(code)})
        results.append(
            {
                "producer_id": marker.producer_id,
                "topics": [{"name": t, "partitions": ps} for t, ps in by_topic.items()],
            }
        )
    return respond(ctx, {"markers": results})


async def _replicated(ctx: RequestContext, markers: list[MarkerRequest]) -> Any:
    driver = ctx.broker.transactions
    answers = [await driver.write_markers_as_leader(m) for m in markers]
    return _build(ctx, markers, answers)


def handle(ctx: RequestContext, request: Any) -> Any:
    markers = _requests(request)
    if ctx.broker.cluster is not None:
        return _replicated(ctx, markers)
    try:
        driver = txn_driver(ctx)
    except KafkaError as exc:
        return _build(ctx, markers, [dict.fromkeys(m.partitions, exc.code) for m in markers])
    return _build(ctx, markers, [driver.append_markers_locally(m) for m in markers])


SPEC = ApiSpec(27, "WriteTxnMarkers", 1, 1, kio_handler=handle)
