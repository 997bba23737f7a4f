"""Fetch (key 1): long-poll reads of whole record batches, returned as buffer lists.

Semantics (Kafka's ``DelayedFetch`` and KIP-74): each partition returns at most
``partition_max_bytes`` and the response at most ``max_bytes``, except that the first batch of the
first non-empty partition is always returned whole so a consumer can make progress. The request
waits in the purgatory until ``min_bytes`` are available or ``max_wait_ms`` passes; appends wake it.
Reads stop at the high watermark (read_uncommitted) or the last stable offset (read_committed).
Fetch sessions (KIP-227) decide which partitions are read and which are answered; see
:mod:`odradek.broker.fetch_sessions`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from odradek.broker.api import ApiSpec, BodyBuffers, RawResult
from odradek.broker.context import RequestContext
from odradek.broker.fetch_sessions import CachedPartition, SessionDecision
from odradek.broker.handlers.base import error_of
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol.fetch import (
    FIRST_TOPIC_ID,
    FetchPartitionResult,
    FetchRequestView,
    FetchTopicResult,
    decode_fetch_request,
    encode_fetch_response,
)
from odradek.records.batch import read_header
from odradek.storage.results import FetchData

if TYPE_CHECKING:
    from odradek.replication.throttle import LeaderGate
    from odradek.storage.log import Log

_ZERO = uuid.UUID(int=0)


@dataclass(slots=True)
class _Target:
    key: tuple[str, int]
    name: str | None  # None: unknown topic id
    topic_id: uuid.UUID | None
    partition: int
    fetch_offset: int
    max_bytes: int


def _resolve(ctx: RequestContext, name: str | None, topic_id: uuid.UUID | None) -> str | None:
    if name is not None:
        return name
    info = ctx.broker.topics.by_id(topic_id or _ZERO)
    return info.name if info is not None else None


def _key(name: str | None, topic_id: uuid.UUID | None) -> str:
    return name if name is not None else str(topic_id)


def _request_targets(ctx: RequestContext, req: FetchRequestView) -> list[_Target]:
    out = []
    for t in req.topics:
        name = _resolve(ctx, t.name, t.topic_id)
        k = _key(t.name, t.topic_id)
        for p in t.partitions:
            out.append(
                _Target(
                    (k, p.partition),
                    name,
                    t.topic_id,
                    p.partition,
                    p.fetch_offset,
                    p.partition_max_bytes,
                )
            )
    return out


def _plan(ctx: RequestContext, req: FetchRequestView, d: SessionDecision) -> list[_Target]:
    """The partitions to read: the request's, or (incremental) the session's after updates."""
    targets = _request_targets(ctx, req)
    session = d.session
    if session is None:
        return targets
    if not d.incremental:
        session.partitions.clear()
    for t in targets:
        cached = session.partitions.get(t.key)
        if cached is None:
            session.partitions[t.key] = CachedPartition(t.fetch_offset, t.max_bytes)
        else:
            cached.fetch_offset, cached.max_bytes = t.fetch_offset, t.max_bytes
    for f in req.forgotten_topics:
        k = _key(f.name, f.topic_id)
        for p in f.partitions:
            session.partitions.pop((k, p), None)
    if not d.incremental:
        return targets
    out = []
    for (k, p), cached in session.partitions.items():
        topic_id = _uuid_or_none(k) if ctx.api_version >= FIRST_TOPIC_ID else None
        name = k if topic_id is None else _resolve(ctx, None, topic_id)
        out.append(_Target((k, p), name, topic_id, p, cached.fetch_offset, cached.max_bytes))
    return out


def _uuid_or_none(k: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(k)
    except ValueError:
        return None


class _Budget:
    __slots__ = ("left", "size")

    def __init__(self, max_bytes: int) -> None:
        self.left = max_bytes
        self.size = 0


def _read_one(
    ctx: RequestContext,
    t: _Target,
    budget: _Budget,
    committed: bool,
    follower: bool = False,
    gate: LeaderGate | None = None,
) -> FetchPartitionResult:
    if t.name is None:
        return FetchPartitionResult(
            t.partition, int(ErrorCode.UNKNOWN_TOPIC_ID), -1, -1, -1, None, -1, None, 0
        )
    lg: Log | None = None
    try:
        lg = ctx.broker.replicas.log_for(t.name, t.partition)
        limit = max(min(t.max_bytes, budget.left), 0)
        lso = lg.last_stable_offset
        upper = lso if committed else lg.high_watermark
        if follower:  # a follower replicates up to the log end, not the high watermark
            upper = lg.log_end_offset
            if gate is not None and gate.blocked(t.name, t.partition, lg.config):
                upper = t.fetch_offset  # replication throttle: nothing for now
        data = lg.read(t.fetch_offset, limit, upper, budget.size == 0)
        if gate is not None:
            gate.record(t.name, t.partition, lg.config, data.size)
        aborted = None
        if committed:
            aborted = lg.aborted_transactions(t.fetch_offset, _end_of(data, t.fetch_offset))
    except KafkaError as exc:
        code, hw, start = error_of(exc)[0], -1, -1
        if follower and lg is not None and code == ErrorCode.OFFSET_OUT_OF_RANGE:
            # the replica path tells a follower where the log starts, so one below it can
            # restart there (Fetch v5+ log_start_offset)
            hw, start = lg.high_watermark, lg.log_start_offset
        return FetchPartitionResult(t.partition, code, hw, -1, start, None, -1, None, 0)
    budget.left -= data.size
    budget.size += data.size
    return FetchPartitionResult(
        t.partition,
        0,
        data.high_watermark,
        lso,
        data.log_start_offset,
        aborted,
        -1,
        data.buffers,
        data.size,
    )


def _end_of(data: FetchData, fetch_offset: int) -> int:
    """One past the last offset of the fetched batches: the aborted-list upper bound."""
    if not data.buffers:
        return fetch_offset
    return int(read_header(data.buffers[-1], 0).next_offset)


def _read_all(
    ctx: RequestContext, req: FetchRequestView, targets: list[_Target]
) -> tuple[list[tuple[_Target, FetchPartitionResult]], int]:
    budget = _Budget(req.max_bytes)
    committed = req.isolation_level == 1
    follower = ctx.broker.replicas.is_follower_read(req.replica_id)
    gate = None
    if follower and ctx.broker.cluster is not None:
        gate = ctx.broker.cluster.leader_throttle_gate(req.replica_id)
    read = [(t, _read_one(ctx, t, budget, committed, follower, gate)) for t in targets]
    return read, budget.size


def _changed(d: SessionDecision, t: _Target, r: FetchPartitionResult) -> bool:
    """Record what the client now knows; True if the partition belongs in the response."""
    if d.session is None:
        return True
    cached = d.session.partitions.get(t.key)
    if cached is None:
        return True
    changed = (
        r.records_size > 0
        or r.error_code != 0
        or cached.high_watermark != r.high_watermark
        or cached.last_stable_offset != r.last_stable_offset
        or cached.log_start_offset != r.log_start_offset
    )
    cached.high_watermark = r.high_watermark
    cached.last_stable_offset = r.last_stable_offset
    cached.log_start_offset = r.log_start_offset
    return changed or not d.incremental


def _respond(
    ctx: RequestContext, d: SessionDecision, read: list[tuple[_Target, FetchPartitionResult]]
) -> BodyBuffers:
    topics: list[FetchTopicResult] = []
    last_key: str | None = None
    for t, r in read:
        if not _changed(d, t, r):
            continue
        if t.key[0] != last_key:
            topics.append(FetchTopicResult(t.name or "", t.topic_id, []))
            last_key = t.key[0]
        topics[-1].partitions.append(r)  # type: ignore[attr-defined]
    return encode_fetch_response(ctx.api_version, 0, 0, d.session_id, topics)


def _ready(
    read: list[tuple[_Target, FetchPartitionResult]], size: int, req: FetchRequestView
) -> bool:
    return (
        size >= req.min_bytes
        or req.max_wait_ms <= 0
        or not read
        or any(r.error_code for _, r in read)
    )


def handle(ctx: RequestContext, body: memoryview, offset: int) -> RawResult:
    req = decode_fetch_request(ctx.api_version, body, offset)
    d = ctx.broker.fetch_sessions.decide(req.session_id, req.session_epoch, ctx.now_ms)
    if d.error != ErrorCode.NONE:
        return encode_fetch_response(ctx.api_version, 0, int(d.error), 0, [])
    targets = _plan(ctx, req, d)
    if ctx.broker.replicas.is_follower_read(req.replica_id):
        _record_follower(ctx, req.replica_id, targets)
    read, size = _read_all(ctx, req, targets)
    if _ready(read, size, req):
        return _respond(ctx, d, read)
    return _wait_and_read(ctx, req, targets, d)


def _record_follower(ctx: RequestContext, replica_id: int, targets: list[_Target]) -> None:
    """Follower fetch: its fetch offset is its log end offset (ISR, high watermark)."""
    for t in targets:
        if t.name is None:
            continue
        try:
            ctx.broker.replicas.follower_fetch(t.name, t.partition, replica_id, t.fetch_offset)
        except KafkaError:
            continue  # the read reports the error for this partition


async def _wait_and_read(
    ctx: RequestContext, req: FetchRequestView, targets: list[_Target], d: SessionDecision
) -> BodyBuffers:
    """Park in the purgatory until enough data or the deadline.

    Each pass reads and then registers its waiter in the same event-loop step (``wait`` runs
    synchronously up to its first ``await``), so an append between the two cannot be missed.
    """
    broker = ctx.broker
    clock = broker.clock
    deadline = clock.monotonic() + req.max_wait_ms / 1000
    tps = [(t.name, t.partition) for t in targets if t.name is not None]
    follower = broker.replicas.is_follower_read(req.replica_id)
    while True:
        read, size = _read_all(ctx, req, targets)
        remaining = deadline - clock.monotonic()
        if _ready(read, size, req) or remaining <= 0 or ctx.connection.closed:
            return _respond(ctx, d, read)
        ready = _follower_ready(ctx, targets) if follower else None
        if not await broker.purgatory.wait(tps, remaining, ready):
            return _respond(ctx, d, _read_all(ctx, req, targets)[0])


def _follower_ready(ctx: RequestContext, targets: list[_Target]) -> Callable[[], bool] | None:
    """A parked follower fetch completes once a partition's log end moved away from its fetch
    offset (new data, or a truncation) or the partition is no longer led here (Kafka's
    DelayedFetch for a replica): a high watermark step, which the follower learns from its next
    fetch anyway, does not wake it."""
    replicas = ctx.broker.replicas
    watched: list[tuple[str, int, Log, int]] = []
    for t in targets:
        if t.name is None:
            continue
        try:
            watched.append(
                (t.name, t.partition, replicas.log_for(t.name, t.partition), t.fetch_offset)
            )
        except KafkaError:
            return None  # an error to report: any change wakes it

    def ready() -> bool:
        for name, partition, lg, offset in watched:
            # log_for raises once leadership moved: the purgatory then completes the waiter
            if lg.log_end_offset != offset or replicas.log_for(name, partition) is not lg:
                return True
        return False

    return ready


SPEC = ApiSpec(1, "Fetch", 4, 16, raw_handler=handle)
