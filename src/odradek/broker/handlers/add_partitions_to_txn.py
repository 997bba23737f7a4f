"""AddPartitionsToTxn (key 24): partitions join a producer's transaction.

v0-v3 carry one transaction (the client's request); v4+ carry a batch of transactions and a
``verify_only`` flag (KIP-890, sent by brokers to check that a partition is in the
transaction). A partition of an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION and every
other one of that transaction with OPERATION_NOT_ATTEMPTED, as in Kafka.
"""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.handlers.init_producer_id import fenced_code, txn_driver
from odradek.common.errors import ErrorCode, KafkaError

TopicPartitions = list[tuple[str, list[int]]]


def _exists(ctx: RequestContext, topic: str, partition: int) -> bool:
    info = ctx.broker.topics.get(topic)
    return info is not None and 0 <= partition < int(info.partitions)


def _one(
    ctx: RequestContext, txn_id: str, pid: int, epoch: int, topics: TopicPartitions, verify: bool
) -> dict[tuple[str, int], ErrorCode]:
    wanted = [(t, p) for t, parts in topics for p in parts]
    missing = {tp for tp in wanted if not _exists(ctx, *tp)}
    if missing:
        return {
            tp: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            if tp in missing
            else ErrorCode.OPERATION_NOT_ATTEMPTED
            for tp in wanted
        }
    driver = txn_driver(ctx)
    try:
        if verify:
            return driver.coordinator.verify_partitions(txn_id, pid, epoch, frozenset(wanted))
        code = driver.coordinator.add_partitions(txn_id, pid, epoch, frozenset(wanted))
    except KafkaError as exc:
        code = ErrorCode(error_of(exc)[0])
    driver.wake()
    code = fenced_code(code, ctx.api_version, 2)
    return dict.fromkeys(wanted, code)


def _topic_results(errors: dict[tuple[str, int], ErrorCode]) -> list[dict[str, object]]:
    by_topic: dict[str, list[dict[str, object]]] = {}
    for (t, p), code in errors.items():
        by_topic.setdefault(t, []).append({"partition_index": p, "partition_error_code": code})
    return [{"name": t, "results_by_partition": parts} for t, parts in by_topic.items()]


def handle(ctx: RequestContext, request: Any) -> Any:
    if ctx.api_version <= 3:
        topics = [(t.name, list(t.partitions)) for t in request.v3_and_below_topics]
        errors = _one(
            ctx,
            request.v3_and_below_transactional_id,
            request.v3_and_below_producer_id,
            request.v3_and_below_producer_epoch,
            topics,
            False,
        )
        return respond(
            ctx, {"throttle_time": 0, "results_by_topic_v3_and_below": _topic_results(errors)}
        )
    results = []
    for txn in request.transactions:
        topics = [(t.name, list(t.partitions)) for t in txn.topics]
        errors = _one(
            ctx,
            txn.transactional_id,
            txn.producer_id,
            txn.producer_epoch,
            topics,
            bool(txn.verify_only),
        )
        results.append(
            {"transactional_id": txn.transactional_id, "topic_results": _topic_results(errors)}
        )
    return respond(ctx, {"throttle_time": 0, "error_code": 0, "results_by_transaction": results})


SPEC = ApiSpec(24, "AddPartitionsToTxn", 0, 4, kio_handler=handle)
