"""WriteTxnMarkers (key 27): append COMMIT/ABORT markers to partitions led here.

Sent by a transaction coordinator to partition leaders once there is a cluster, and by
``odradek transactions abort`` to close a hanging transaction (Kafka's tool does the same).
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.init_producer_id import txn_driver
from odradek.coordinator.txn.markers import MarkerRequest


def handle(ctx: RequestContext, request: Any) -> Any:
    writer = txn_driver(ctx).coordinator.markers
    results = []
    for marker in request.markers:
        parts = tuple((t.name, p) for t in marker.topics for p in t.partition_indexes)
        errors = writer.write_markers(
            MarkerRequest(
                marker.producer_id,
                marker.producer_epoch,
                marker.coordinator_epoch,
                bool(marker.transaction_result),
                parts,
            )
        )
        by_topic: dict[str, list[dict[str, object]]] = {}
        for (t, p), code in errors.items():
            by_topic.setdefault(t, []).append({"partition_index": p, "error_code": code})
        results.append(
            {
                "producer_id": marker.producer_id,
                "topics": [{"name": t, "partitions": ps} for t, ps in by_topic.items()],
            }
        )
    return respond(ctx, {"markers": results})


SPEC = ApiSpec(27, "WriteTxnMarkers", 1, 1, kio_handler=handle)
