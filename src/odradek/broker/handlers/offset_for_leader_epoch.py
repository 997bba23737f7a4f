"""OffsetForLeaderEpoch (key 23): where a leader epoch ends in the leader's log (KIP-101/279).

For each partition: the largest epoch ``<=`` the requested one that the leader has, and the
offset where it ends (the start of the next epoch, or the log end offset for the latest epoch).
A follower truncates its log there before fetching. ``current_leader_epoch`` (v2+) fences
requests from replicas with a stale (FENCED_LEADER_EPOCH) or newer (UNKNOWN_LEADER_EPOCH) view.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import shapes
from odradek.replication.truncation import epoch_end_offset


def _one(ctx: RequestContext, topic: str, p: Any) -> dict[str, object]:
    broker = ctx.broker
    lg = broker.replicas.log_for(topic, p.partition)
    current = shapes.get(p, "current_leader_epoch", -1)
    if broker.cluster is not None and current >= 0:
        part = broker.cluster.replicas.leader(topic, p.partition)[0]
        if current < part.leader_epoch:
            raise KafkaError(ErrorCode.FENCED_LEADER_EPOCH, f"epoch {current} is fenced")
        if current > part.leader_epoch:
            raise KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, f"epoch {current} is unknown")
    epoch, end = epoch_end_offset(lg.epochs.entries, lg.log_end_offset, p.leader_epoch)
    return {"error_code": 0, "partition": p.partition, "leader_epoch": epoch, "end_offset": end}


def handle(ctx: RequestContext, request: Any) -> Any:
    topics = []
    for t in request.topics:
        parts = []
        for p in t.partitions:
            try:
                entry = _one(ctx, t.topic, p)
            except KafkaError as exc:
                entry = {
                    "error_code": error_of(exc)[0],
                    "partition": p.partition,
                    "leader_epoch": -1,
                    "end_offset": -1,
                }
            parts.append(entry)
        topics.append({"topic": t.topic, "partitions": parts})
    return respond(ctx, {"throttle_time": 0, "topics": topics})


SPEC = ApiSpec(23, "OffsetForLeaderEpoch", 0, 4, kio_handler=handle)
