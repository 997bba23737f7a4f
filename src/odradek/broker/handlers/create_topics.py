"""CreateTopics (key 19): validate and create topics, with configs, explicit replica assignments
(``/brokers/topics/T`` gets exactly those replicas in cluster mode) and validate_only."""

from __future__ import annotations

from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import error_of, respond
from odradek.broker.handlers.describe_configs import describe_topic_configs
from odradek.broker.handlers.leader_wait import mark_timed_out, when_leaders_known
from odradek.common.errors import ErrorCode, KafkaError
from odradek.controller.assignment import validate_topic_assignment
from odradek.controller.metadata_store import TopicInfo


def _create_one(ctx: RequestContext, t: Any, validate_only: bool) -> TopicInfo:
    partitions, rf = t.num_partitions, t.replication_factor
    assignment = None
    if t.assignments:
        if partitions != -1 or rf != -1:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST,
                "Both numPartitions or replicationFactor and replicasAssignments were set. "
                "Both cannot be used at the same time.",
            )
        assignment = validate_topic_assignment(
            (a.partition_index, list(a.broker_ids)) for a in t.assignments
        )
        if ctx.broker.cluster is None:  # one node hosts every replica itself
            live = {e.node_id for e in ctx.broker.live_brokers()}
            if any(not set(r) <= live for r in assignment.values()):
                raise KafkaError(
                    ErrorCode.INVALID_REPLICA_ASSIGNMENT, "Unknown broker in assignment"
                )
    configs: dict[str, str] = {}
    for c in t.configs:
        if c.value is None:
            raise KafkaError(
                ErrorCode.INVALID_CONFIG, f"Null value not supported for topic configs: {c.name}"
            )
        configs[c.name] = c.value
    return ctx.broker.topics.create(t.name, partitions, rf, configs, validate_only, assignment)


def handle(ctx: RequestContext, request: Any) -> Any:
    validate_only = bool(getattr(request, "validate_only", False))
    seen: dict[str, int] = {}
    for t in request.topics:
        seen[t.name] = seen.get(t.name, 0) + 1
    results = []
    for t in request.topics:
        entry: dict[str, object] = {"name": t.name, "num_partitions": -1, "replication_factor": -1}
        try:
            if seen[t.name] > 1:
                raise KafkaError(
                    ErrorCode.INVALID_REQUEST,
                    "Create topics request from client contains duplicate topic",
                )
            info = _create_one(ctx, t, validate_only)
            entry.update(
                error_code=0,
                topic_id=info.topic_id,
                num_partitions=info.partitions,
                replication_factor=info.replication_factor,
                configs=describe_topic_configs(ctx, info.name, None, info.configs),
            )
        except KafkaError as exc:
            code, message = error_of(exc)
            entry.update(error_code=code, error_message=message)
        results.append(entry)
    created = [(str(e["name"]), int(str(e["num_partitions"]))) for e in results]
    created = [c for c, e in zip(created, results, strict=True) if e.get("error_code") == 0]

    def build(timed_out: set[str]) -> Any:
        mark_timed_out(results, timed_out)
        return respond(ctx, {"throttle_time": 0, "topics": results})

    return when_leaders_known(ctx, request, [] if validate_only else created, build)


SPEC = ApiSpec(19, "CreateTopics", 2, 7, kio_handler=handle)
