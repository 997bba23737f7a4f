"""ListPartitionReassignments (key 46): the reassignments in progress, from the topic znodes
(``adding_replicas`` / ``removing_replicas``) as this broker's ZooKeeper cache has them."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond


def handle(ctx: RequestContext, request: Any) -> Any:
    cluster = ctx.broker.cluster
    if cluster is None:
        return respond(ctx, {"throttle_time": 0, "error_code": 0, "topics": []})
    wanted: dict[str, set[int] | None] | None = None
    if request.topics is not None:
        wanted = {t.name: set(t.partition_indexes) for t in request.topics}
    topics = []
    for name, info in sorted(ctx.broker.store.topics().items()):
        a = cluster.store.assignment(name)
        if a is None or (wanted is not None and name not in wanted):
            continue
        parts = []
        for p in sorted(set(a.adding) | set(a.removing)):
            chosen = wanted.get(name) if wanted is not None else None
            if chosen is not None and p not in chosen:
                continue
            parts.append(
                {
                    "partition_index": p,
                    "replicas": list(a.partitions.get(p, ())),
                    "adding_replicas": list(a.adding.get(p, ())),
                    "removing_replicas": list(a.removing.get(p, ())),
                }
            )
        if parts:
            topics.append({"name": info.name, "partitions": parts})
    return respond(ctx, {"throttle_time": 0, "error_code": 0, "topics": topics})


SPEC = ApiSpec(46, "ListPartitionReassignments", 0, 0, kio_handler=handle)
