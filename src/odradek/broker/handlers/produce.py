"""Produce (key 0): append the producer's batches, as received, to partition logs.

Hot path: the request is decoded into memoryview slices of the receive buffer and each slice goes
to :meth:`Log.append_as_leader`, which validates the batches and rewrites their base offsets in
place. With ``acks=0`` no response is sent, and a failed append closes the connection, which is
how Kafka tells such a producer that something went wrong.
"""

from __future__ import annotations

import asyncio
import logging

from odradek.broker.api import ApiSpec, BodyBuffers, RawResult
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol.produce import (
    PartitionResult,
    decode_produce_request,
    encode_produce_response,
)

log = logging.getLogger(__name__)


def _append_one(
    ctx: RequestContext,
    topic: str,
    index: int,
    records: memoryview | None,
    acks: int,
    pending: list[tuple[str, int, int]],
) -> PartitionResult:
    broker = ctx.broker
    try:
        if ctx.broker.topics.is_internal(topic) and not ctx.connection.state.get("internal"):
            raise KafkaError(
                ErrorCode.INVALID_TOPIC_EXCEPTION, f"Cannot append to internal topic {topic}"
            )
        if records is None or len(records) == 0:
            raise KafkaError(ErrorCode.CORRUPT_MESSAGE, "Produce request without records")
        lg = broker.replicas.log_for(topic, index)
        if acks == -1 and broker.cluster is None and lg.config.min_insync_replicas > 1:
            raise KafkaError(
                ErrorCode.NOT_ENOUGH_REPLICAS,
                f"The size of the current ISR 1 is insufficient to satisfy the min.isr "
                f"requirement of {lg.config.min_insync_replicas} for partition {topic}-{index}",
            )
        info = broker.replicas.append(topic, index, records, ctx.now_ms, acks)
        if acks == -1 and broker.cluster is not None and info.last_offset >= 0:
            pending.append((topic, index, info.last_offset))
    except KafkaError as exc:
        code, message = error_of(exc)
        return PartitionResult(index, code, -1, -1, -1, error_message=message)
    except OSError as exc:
        log.error("append to %s-%d failed: %s", topic, index, exc)
        return PartitionResult(
            index, int(ErrorCode.KAFKA_STORAGE_ERROR), -1, error_message=str(exc)
        )
    return PartitionResult(index, 0, info.first_offset, info.log_append_time, info.log_start_offset)


def handle(ctx: RequestContext, body: memoryview, offset: int) -> RawResult:
    request = decode_produce_request(ctx.api_version, body, offset)
    acks = request.acks
    results: list[tuple[str, list[PartitionResult]]] = []
    failed = False
    pending: list[tuple[str, int, int]] = []  # acks=all in cluster mode: (topic, p, last offset)
    for topic in request.topics:
        parts = []
        for part in topic.partitions:
            if acks not in (0, 1, -1):
                result = PartitionResult(part.index, int(ErrorCode.INVALID_REQUIRED_ACKS), -1)
            else:
                result = _append_one(ctx, topic.name, part.index, part.records, acks, pending)
            failed = failed or result.error_code != 0
            parts.append(result)
        results.append((topic.name, parts))
    if acks == 0:
        if failed:
            ctx.connection.close()
        return None
    if pending:
        return _wait_for_isr(ctx, request.timeout_ms, results, pending)
    return [encode_produce_response(ctx.api_version, results, 0)]


async def _wait_for_isr(
    ctx: RequestContext,
    timeout_ms: int,
    results: list[tuple[str, list[PartitionResult]]],
    pending: list[tuple[str, int, int]],
) -> BodyBuffers:
    """acks=all in cluster mode (Kafka's DelayedProduce): answer once the ISR has the records."""
    timeout_s = max(timeout_ms, 0) / 1000
    waits = [ctx.broker.replicas.wait_committed(t, p, last, timeout_s) for t, p, last in pending]
    codes = dict(zip([(t, p) for t, p, _ in pending], await asyncio.gather(*waits), strict=True))
    out: list[tuple[str, list[PartitionResult]]] = []
    for topic, parts in results:
        fixed = []
        for r in parts:
            code = codes.get((topic, r.index), 0)
            fixed.append(r if code == 0 else PartitionResult(r.index, code, -1, -1, -1))
        out.append((topic, fixed))
    return [encode_produce_response(ctx.api_version, out, 0)]


SPEC = ApiSpec(0, "Produce", 3, 11, raw_handler=handle)
