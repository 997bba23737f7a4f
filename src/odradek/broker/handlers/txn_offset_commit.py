"""TxnOffsetCommit (key 28): consumer offsets committed as part of a transaction.

Sent to the group coordinator after AddOffsetsToTxn. The producer id/epoch must be the
transaction's current ones (else INVALID_PRODUCER_ID_MAPPING / PRODUCER_FENCED); v3+ carry
the consumer's generation and member id, checked against the group (KIP-447) so a zombie
consumer cannot commit. Accepted offsets wait, invisible to OffsetFetch, until the
transaction commits; an abort drops them. They are kept durably with the transaction in
``__transaction_state`` (see :mod:`odradek.coordinator.txn.offsets`).
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.init_producer_id import fenced_code, txn_driver
from odradek.common.errors import ErrorCode
from odradek.coordinator.txn.offsets import PendingOffset
from odradek.protocol import shapes


def _group_error(ctx: RequestContext, request: Any) -> ErrorCode:
    generation = int(shapes.get(request, "generation_id", -1))
    member_id = str(shapes.get(request, "member_id", "") or "")
    if generation < 0 and not member_id:
        return ErrorCode.NONE
    groups = ctx.broker.groups
    groups.ensure_loaded()
    coordinator = groups.coordinator
    state = coordinator.state_of(coordinator.partition_for(request.group_id))
    group = None if state is None else state.groups.get(request.group_id)
    if group is None:
        return ErrorCode.NONE
    member = group.members.get(member_id)
    if member is None:
        return ErrorCode.UNKNOWN_MEMBER_ID
    current = getattr(group, "generation", None)
    if current is None:
        current = getattr(member, "member_epoch", generation)
    return ErrorCode.NONE if generation == current else ErrorCode.ILLEGAL_GENERATION


def handle(ctx: RequestContext, request: Any) -> Any:
    code = _group_error(ctx, request)
    if code == ErrorCode.NONE:
        offsets = {
            (t.name, p.partition_index): PendingOffset(
                p.committed_offset,
                p.committed_metadata or "",
                int(shapes.get(p, "committed_leader_epoch", -1)),
            )
            for t in request.topics
            for p in t.partitions
        }
        code = txn_driver(ctx).coordinator.txn_offset_commit(
            request.transactional_id,
            request.producer_id,
            request.producer_epoch,
            request.group_id,
            offsets,
        )
        code = fenced_code(code, ctx.api_version, 2)
    topics = [
        {
            "name": t.name,
            "partitions": [
                {"partition_index": p.partition_index, "error_code": code} for p in t.partitions
            ],
        }
        for t in request.topics
    ]
    return respond(ctx, {"throttle_time": 0, "topics": topics})


SPEC = ApiSpec(28, "TxnOffsetCommit", 0, 4, kio_handler=handle)
