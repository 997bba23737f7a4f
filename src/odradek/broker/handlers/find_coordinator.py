"""FindCoordinator (key 10): the broker coordinating a group (or transactional id), v4 batched.

In cluster mode the coordinator is the leader of the key's partition of ``__consumer_offsets``
(``abs(javaHash(group)) % offsets.topic.num.partitions``) or of ``__transaction_state``
(``abs(javaHash(transactional id)) % transaction.state.log.num.partitions``).
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.handlers.group_common import coordinator
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import shapes

GROUP, TRANSACTION = 0, 1


def _lookup(ctx: RequestContext, key: str, key_type: int) -> dict[str, object]:
    e = ctx.broker.endpoint
    found: dict[str, object] = {"key": key, "node_id": -1, "host": "", "port": -1}
    try:
        if key_type == GROUP:
            if not key:
                raise KafkaError(ErrorCode.INVALID_REQUEST, "Group id can't be empty")
            coordinator(ctx)
        elif key_type == TRANSACTION:
            txn = getattr(ctx.broker, "transactions", None)
            if txn is None:
                raise KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, "no transaction coordinator")
            txn.ensure_loaded()
        else:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"Unknown key type {key_type}")
    except KafkaError as exc:
        code, message = error_of(exc)
        found.update(error_code=code, error_message=message)
        return found
    cluster = ctx.broker.cluster
    if cluster is not None:
        # cluster mode: the leader of the key's internal topic partition coordinates it
        if key_type == GROUP:
            topic, p = "__consumer_offsets", ctx.broker.groups.coordinator.partition_for(key)
        else:
            topic, p = "__transaction_state", ctx.broker.transactions.coordinator.partition_for(key)
        leader = cluster.coordinator_of(topic, p)
        if leader is None:
            code = int(ErrorCode.COORDINATOR_NOT_AVAILABLE)
            found.update(error_code=code, error_message="The coordinator is not available.")
            return found
        e = leader
    found.update(error_code=0, node_id=e.node_id, host=e.host, port=e.port)
    return found


def handle(ctx: RequestContext, request: Any) -> Any:
    key_type = int(shapes.get(request, "key_type", GROUP))
    if ctx.api_version >= 4:
        keys = list(request.coordinator_keys)
        results = [_lookup(ctx, k, key_type) for k in keys]
        return respond(ctx, {"throttle_time": 0, "coordinators": results})
    found = _lookup(ctx, request.key, key_type)
    found.pop("key")
    return respond(ctx, {"throttle_time": 0, **found})


SPEC = ApiSpec(10, "FindCoordinator", 0, 5, kio_handler=handle)
