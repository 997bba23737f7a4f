"""CreatePartitions (key 37): grow a topic's partition count."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.handlers.leader_wait import when_leaders_known
from odradek.common.errors import ErrorCode, KafkaError


def handle(ctx: RequestContext, request: Any) -> Any:
    out = []
    grown: list[tuple[str, int]] = []
    for t in request.topics:
        entry: dict[str, object] = {"name": t.name}
        try:
            info = ctx.broker.topics.require(t.name)
            if t.assignments is not None:
                live = {e.node_id for e in ctx.broker.live_brokers()}
                if len(t.assignments) != t.count - info.partitions or any(
                    not set(a.broker_ids) <= live for a in t.assignments
                ):
                    raise KafkaError(
                        ErrorCode.INVALID_REPLICA_ASSIGNMENT, "Invalid replica assignment"
                    )
            ctx.broker.topics.add_partitions(t.name, t.count, bool(request.validate_only))
            entry["error_code"] = 0
            if not request.validate_only:
                grown.append((t.name, t.count))
        except KafkaError as exc:
            code, message = error_of(exc)
            entry.update(error_code=code, error_message=message)
        out.append(entry)
    response = respond(ctx, {"throttle_time": 0, "results": out})
    return when_leaders_known(ctx, request, grown, response)


SPEC = ApiSpec(37, "CreatePartitions", 0, 3, kio_handler=handle)
