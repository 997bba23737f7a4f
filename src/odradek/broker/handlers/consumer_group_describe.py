"""ConsumerGroupDescribe (key 69): KIP-848 groups with epochs and current/target assignments."""

from __future__ import annotations

import uuid
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import coordinator
from odradek.common.errors import KafkaError

_UNSET_OPERATIONS = -(2**31)
CONSUMER_MEMBER_TYPE = 1


def _assignment(ctx: RequestContext, tps: dict[uuid.UUID, frozenset[int]]) -> dict[str, object]:
    out = []
    for tid, parts in sorted(tps.items(), key=lambda kv: kv[0].bytes):
        info = ctx.broker.topics.by_id(tid)
        out.append(
            {
                "topic_id": tid,
                "topic_name": info.name if info is not None else "",
                "partitions": sorted(parts),
            }
        )
    return {"topic_partitions": out}


def _describe(ctx: RequestContext, group_id: str) -> dict[str, object]:
    try:
        g = coordinator(ctx).consumer_group_describe(group_id)
    except KafkaError as exc:
        return {"error_code": int(exc.code), "group_id": group_id}
    return {
        "error_code": int(g.error),
        "group_id": group_id,
        "group_state": g.state,
        "group_epoch": g.group_epoch,
        "assignment_epoch": g.assignment_epoch,
        "assignor_name": g.assignor_name,
        "members": [
            {
                "member_id": m.member_id,
                "instance_id": m.instance_id,
                "rack_id": m.rack_id,
                "member_epoch": m.member_epoch,
                "client_id": m.client_id,
                "client_host": m.client_host,
                "subscribed_topic_names": list(m.subscribed_topic_names),
                "subscribed_topic_regex": m.subscribed_topic_regex,
                "assignment": _assignment(ctx, m.assignment),
                "target_assignment": _assignment(ctx, m.target_assignment),
                "member_type": CONSUMER_MEMBER_TYPE,
            }
            for m in g.members
        ],
        "authorized_operations": _UNSET_OPERATIONS,
    }


def handle(ctx: RequestContext, request: Any) -> Any:
    groups = [_describe(ctx, gid) for gid in request.group_ids]
    return respond(ctx, {"throttle_time": 0, "groups": groups})


SPEC = ApiSpec(69, "ConsumerGroupDescribe", 0, 1, kio_handler=handle)
