"""DeleteRecords (key 21): advance a partition's log start offset (-1 means the high watermark)."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.common.errors import KafkaError


def handle(ctx: RequestContext, request: Any) -> Any:
    topics = []
    for t in request.topics:
        parts = []
        for p in t.partitions:
            entry: dict[str, object] = {"partition_index": p.partition_index, "low_watermark": -1}
            try:
                lg = ctx.broker.replicas.log_for(t.name, p.partition_index)
                target = lg.high_watermark if p.offset == -1 else p.offset
                entry["low_watermark"] = lg.delete_records_before(target)
                entry["error_code"] = 0
            except KafkaError as exc:
                entry["error_code"] = error_of(exc)[0]
            parts.append(entry)
        topics.append({"name": t.name, "partitions": parts})
    return respond(ctx, {"throttle_time": 0, "topics": topics})


SPEC = ApiSpec(21, "DeleteRecords", 0, 2, kio_handler=handle)
