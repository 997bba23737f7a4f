"""TxnOffsetCommit (key 28): consumer offsets committed as part of a transaction.

Sent to the group coordinator after AddOffsetsToTxn. The group coordinator appends the offsets
to the group's ``__consumer_offsets`` partition in a transactional batch of the producer (id and
epoch), as Kafka does; they stay invisible to OffsetFetch (UNSTABLE_OFFSET_COMMIT for
``require_stable``) until the transaction's COMMIT marker reaches that partition, and an ABORT
drops them (see :mod:`odradek.coordinator.group.state`). v3+ carry the consumer's generation and
member id, checked against the group (KIP-447) so a zombie consumer cannot commit. When the
transaction is coordinated on this broker too, the producer id/epoch are checked against it
(INVALID_PRODUCER_ID_MAPPING / PRODUCER_FENCED); otherwise the log's producer state fences a
stale epoch. In cluster mode the answer waits until the batch is committed.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import answer, coordinator
from odradek.broker.handlers.init_producer_id import fenced_code
from odradek.common.errors import ErrorCode, KafkaError
from odradek.coordinator.group.api import OffsetCommitRequest, TopicPartitionOffset
from odradek.protocol import shapes

PartitionErrors = list[tuple[str, int, ErrorCode]]


def _producer_error(ctx: RequestContext, request: Any) -> ErrorCode:
    txn = getattr(ctx.broker, "transactions", None)
    if txn is None:
        return ErrorCode.NONE
    code = txn.coordinator.check_producer(
        request.transactional_id, request.producer_id, request.producer_epoch
    )
    return ErrorCode.NONE if code is None else code


def handle(ctx: RequestContext, request: Any) -> Any:
    version = ctx.api_version
    order = [(t.name, p.partition_index) for t in request.topics for p in t.partitions]

    def build(results: PartitionErrors) -> Any:
        errors = {(t, p): fenced_code(e, version, 2) for t, p, e in results}
        by_topic: dict[str, list[dict[str, object]]] = {}
        for t, p in order:
            code = int(errors.get((t, p), ErrorCode.NONE))
            by_topic.setdefault(t, []).append({"partition_index": p, "error_code": code})
        topics = [{"name": n, "partitions": ps} for n, ps in by_topic.items()]
        return respond(ctx, {"throttle_time": 0, "topics": topics})

    code = _producer_error(ctx, request)
    if code != ErrorCode.NONE:
        return build([(t, p, code) for t, p in order])
    offsets = tuple(
        TopicPartitionOffset(
            t.name,
            p.partition_index,
            p.committed_offset,
            int(shapes.get(p, "committed_leader_epoch", -1)),
            p.committed_metadata,
        )
        for t in request.topics
        for p in t.partitions
    )
    req = OffsetCommitRequest(
        group_id=request.group_id,
        generation_id=int(shapes.get(request, "generation_id", -1)),
        member_id=str(shapes.get(request, "member_id", "") or ""),
        offsets=offsets,
        group_instance_id=shapes.get(request, "group_instance_id", None),
        version=version,
    )
    producer = (int(request.producer_id), int(request.producer_epoch))
    try:
        return answer(ctx, lambda cb: coordinator(ctx).txn_commit_offsets(req, producer, cb), build)
    except KafkaError as exc:
        return build([(t, p, exc.code) for t, p in order])


SPEC = ApiSpec(28, "TxnOffsetCommit", 0, 4, kio_handler=handle)
