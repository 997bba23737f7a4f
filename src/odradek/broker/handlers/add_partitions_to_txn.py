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


Outcome = tuple[str, dict[tuple[str, int], ErrorCode]]


async def _settle_all(ctx: RequestContext, outcomes: list[Outcome]) -> list[Outcome]:
    """Cluster mode: each transaction's answer waits for its record to be committed."""
    driver = txn_driver(ctx)
    out: list[Outcome] = []
    for txn_id, errors in outcomes:
        if errors and all(e == ErrorCode.NONE for e in errors.values()):
            error = await driver.settle(txn_id, ErrorCode.NONE)
            errors = dict.fromkeys(errors, fenced_code(error, ctx.api_version, 2))
        out.append((txn_id, errors))
    return out


def _build(ctx: RequestContext, outcomes: list[Outcome]) -> Any:
    if ctx.api_version <= 3:
        return respond(
            ctx,
            {"throttle_time": 0, "results_by_topic_v3_and_below": _topic_results(outcomes[0][1])},
        )
    results = [
        {"transactional_id": txn_id, "topic_results": _topic_results(errors)}
        for txn_id, errors in outcomes
    ]
    return respond(ctx, {"throttle_time": 0, "error_code": 0, "results_by_transaction": results})


async def _later(ctx: RequestContext, outcomes: list[Outcome]) -> Any:
    return _build(ctx, await _settle_all(ctx, outcomes))


def handle(ctx: RequestContext, request: Any) -> Any:
    outcomes: list[Outcome] = []
    if ctx.api_version <= 3:
        topics = [(t.name, list(t.partitions)) for t in request.v3_and_below_topics]
        txn_id = request.v3_and_below_transactional_id
        errors = _one(
            ctx,
            txn_id,
            request.v3_and_below_producer_id,
            request.v3_and_below_producer_epoch,
            topics,
            False,
        )
        outcomes.append((txn_id, errors))
    else:
        for txn in request.transactions:
            topics = [(t.name, list(t.partitions)) for t in txn.topics]
            verify = bool(txn.verify_only)
            errors = _one(
                ctx, txn.transactional_id, txn.producer_id, txn.producer_epoch, topics, verify
            )
            outcomes.append((txn.transactional_id, errors))
    if ctx.broker.cluster is None:
        return _build(ctx, outcomes)
    return _later(ctx, outcomes)


SPEC = ApiSpec(24, "AddPartitionsToTxn", 0, 4, kio_handler=handle)
