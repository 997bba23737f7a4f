"""CreatePartitions (key 37): grow a topic's partition count, with explicit replica lists for the
new partitions if given (validated against the registered brokers and the topic's replication
factor)."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.handlers.leader_wait import mark_timed_out, when_leaders_known
from odradek.common.errors import KafkaError
from odradek.controller.assignment import validate_added_partitions


def handle(ctx: RequestContext, request: Any) -> Any:
    out = []
    grown: list[tuple[str, int]] = []
    for t in request.topics:
        entry: dict[str, object] = {"name": t.name}
        try:
            info = ctx.broker.topics.require(t.name)
            assignment = None
            if t.assignments is not None and t.count > info.partitions:
                assignment = validate_added_partitions(
                    [list(a.broker_ids) for a in t.assignments],
                    info.partitions,
                    t.count - info.partitions,
                    info.replication_factor,
                    {e.node_id for e in ctx.broker.live_brokers()},
                )
            ctx.broker.topics.add_partitions(
                t.name, t.count, bool(request.validate_only), assignment
            )
            entry["error_code"] = 0
            if not request.validate_only:
                grown.append((t.name, t.count))
        except KafkaError as exc:
            code, message = error_of(exc)
            entry.update(error_code=code, error_message=message)
        out.append(entry)

    def build(timed_out: set[str]) -> Any:
        mark_timed_out(out, timed_out)
        return respond(ctx, {"throttle_time": 0, "results": out})

    return when_leaders_known(ctx, request, grown, build)


SPEC = ApiSpec(37, "CreatePartitions", 0, 3, kio_handler=handle)
