"""Fetch (key 1): long-poll reads of whole record batches, returned as buffer lists.

Semantics (Kafka's ``DelayedFetch`` and KIP-74): each partition returns at most
``partition_max_bytes`` and the response at most ``max_bytes``, except that the first batch of the
first non-empty partition is always returned whole so a consumer can make progress. The request
waits in the purgatory until ``min_bytes`` are available or ``max_wait_ms`` passes; appends wake it.
Reads stop at the high watermark (read_uncommitted) or the last stable offset (read_committed).
"""

from __future__ import annotations

import uuid

from odradek.broker.api import ApiSpec, BodyBuffers, RawResult
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol.fetch import (
    FetchPartitionResult,
    FetchRequestView,
    FetchTopicResult,
    decode_fetch_request,
    encode_fetch_response,
)

_ZERO = uuid.UUID(int=0)


class _Budget:
    __slots__ = ("left", "size")

    def __init__(self, max_bytes: int) -> None:
        self.left = max_bytes
        self.size = 0


def _read_partition(
    ctx: RequestContext, topic: str, p: object, budget: _Budget, committed: bool
) -> FetchPartitionResult:
    index: int = p.partition  # type: ignore[attr-defined]
    try:
        lg = ctx.broker.replicas.log_for(topic, index)
        limit = min(p.partition_max_bytes, budget.left)  # type: ignore[attr-defined]
        hw = lg.high_watermark
        data = lg.read(p.fetch_offset, max(limit, 0), hw, budget.size == 0)  # type: ignore[attr-defined]
    except KafkaError as exc:
        return FetchPartitionResult(index, error_of(exc)[0], -1, -1, -1, None, -1, None, 0)
    budget.left -= data.size
    budget.size += data.size
    return FetchPartitionResult(
        index,
        0,
        data.high_watermark,
        data.high_watermark,
        data.log_start_offset,
        [] if committed else None,
        -1,
        data.buffers,
        data.size,
    )


def _read_all(
    ctx: RequestContext, req: FetchRequestView, names: list[str | None]
) -> tuple[list[FetchTopicResult], int]:
    budget = _Budget(req.max_bytes)
    committed = req.isolation_level == 1
    results = []
    for topic, name in zip(req.topics, names, strict=True):
        if name is None:
            parts = [
                FetchPartitionResult(
                    p.partition, int(ErrorCode.UNKNOWN_TOPIC_ID), -1, -1, -1, None, -1, None, 0
                )
                for p in topic.partitions
            ]
        else:
            parts = [_read_partition(ctx, name, p, budget, committed) for p in topic.partitions]
        results.append(FetchTopicResult(name or "", topic.topic_id, parts))
    return results, budget.size


def _resolve_names(ctx: RequestContext, req: FetchRequestView) -> list[str | None]:
    names: list[str | None] = []
    for t in req.topics:
        if t.name is not None:
            names.append(t.name)
            continue
        info = ctx.broker.topics.by_id(t.topic_id or _ZERO)
        names.append(info.name if info is not None else None)
    return names


def handle(ctx: RequestContext, body: memoryview, offset: int) -> RawResult:
    req = decode_fetch_request(ctx.api_version, body, offset)
    decision = ctx.broker.fetch_sessions.decide(req.session_id, req.session_epoch)
    if decision.error != ErrorCode.NONE:
        return encode_fetch_response(ctx.api_version, 0, int(decision.error), 0, [])
    names = _resolve_names(ctx, req)
    results, size = _read_all(ctx, req, names)
    if size >= req.min_bytes or req.max_wait_ms <= 0 or not req.topics or _has_error(results):
        return encode_fetch_response(ctx.api_version, 0, 0, decision.session_id, results)
    return _wait_and_read(ctx, req, names, decision.session_id)


def _has_error(results: list[FetchTopicResult]) -> bool:
    return any(p.error_code for t in results for p in t.partitions)


async def _wait_and_read(
    ctx: RequestContext, req: FetchRequestView, names: list[str | None], session_id: int
) -> BodyBuffers:
    broker = ctx.broker
    clock = broker.clock
    deadline = clock.monotonic() + req.max_wait_ms / 1000
    tps = [
        (n, p.partition) for n, t in zip(names, req.topics, strict=True) if n for p in t.partitions
    ]
    while True:
        remaining = deadline - clock.monotonic()
        woken = await broker.purgatory.wait(tps, remaining)
        if ctx.connection.closed:
            return []
        results, size = _read_all(ctx, req, names)
        if (
            not woken
            or size >= req.min_bytes
            or _has_error(results)
            or clock.monotonic() >= deadline
        ):
            return encode_fetch_response(ctx.api_version, 0, 0, session_id, results)


SPEC = ApiSpec(1, "Fetch", 4, 16, raw_handler=handle)
