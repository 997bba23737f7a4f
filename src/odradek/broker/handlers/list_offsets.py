"""ListOffsets (key 2): offsets by timestamp, earliest (-2), latest (-1), max timestamp (-3).

Latest is the high watermark for read_uncommitted and the last stable offset for read_committed
(the same on a log without open transactions). Earliest-local (-4) equals earliest here (no tiered
storage). A timestamp with no record at or after it answers offset -1, timestamp -1.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import shapes

LATEST = -1
EARLIEST = -2
MAX_TIMESTAMP = -3
EARLIEST_LOCAL = -4
EARLIEST_PENDING_UPLOAD = -5
LATEST_TIERED = -6


def _lookup(
    ctx: RequestContext, topic: str, partition: int, ts: int, committed: bool
) -> dict[str, object]:
    lg = ctx.broker.replicas.log_for(topic, partition)
    offset, found_ts = -1, -1
    if ts == LATEST:
        offset = lg.last_stable_offset if committed else lg.high_watermark
    elif ts in (EARLIEST, EARLIEST_LOCAL):
        offset = lg.log_start_offset
    elif ts == MAX_TIMESTAMP:
        hit = lg.max_timestamp_offset()
        if hit is not None:
            offset, found_ts = hit
    elif ts in (EARLIEST_PENDING_UPLOAD, LATEST_TIERED):
        offset = -1
    elif ts < 0:
        raise KafkaError(ErrorCode.INVALID_REQUEST, f"Invalid timestamp {ts}")
    else:
        hit = lg.offset_for_timestamp(ts)
        if hit is not None:
            offset, found_ts = hit
    return {"error_code": 0, "timestamp": found_ts, "offset": offset, "leader_epoch": 0}


def handle(ctx: RequestContext, request: Any) -> Any:
    committed = shapes.get(request, "isolation_level", 0) == 1
    topics = []
    for t in request.topics:
        parts = []
        for p in t.partitions:
            try:
                entry = _lookup(ctx, t.name, p.partition_index, p.timestamp, committed)
            except KafkaError as exc:
                entry = {
                    "error_code": error_of(exc)[0],
                    "timestamp": -1,
                    "offset": -1,
                    "leader_epoch": -1,
                }
            entry["partition_index"] = p.partition_index
            parts.append(entry)
        topics.append({"name": t.name, "partitions": parts})
    return respond(ctx, {"throttle_time": 0, "topics": topics})


SPEC = ApiSpec(2, "ListOffsets", 1, 9, kio_handler=handle)
