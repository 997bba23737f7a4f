"""Replica assignment for new topics and partitions (Kafka's rack-unaware algorithm).

Replicas of partition ``p`` start at broker ``(p + start) % n``; the following replicas are
spread with a shift that grows every ``n`` partitions, so leaders and followers are balanced.
``start`` and the first shift are random (injected ``random.Random``), as in Kafka's AdminUtils.
"""

from __future__ import annotations

import random

from odradek.common.errors import ErrorCode, KafkaError


def assign_replicas(
    brokers: list[int],
    partitions: int,
    replication_factor: int,
    rng: random.Random | None = None,
    first_partition: int = 0,
) -> dict[int, tuple[int, ...]]:
    """``{partition: replicas}`` for ``partitions`` partitions from ``first_partition``."""
    n = len(brokers)
    if replication_factor > n:
        raise KafkaError(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            f"Replication factor: {replication_factor} larger than available brokers: {n}.",
        )
    if n == 0:
        return {}
    rng = rng or random.Random()
    ordered = sorted(brokers)
    start = rng.randrange(n)
    shift = rng.randrange(n)
    out: dict[int, tuple[int, ...]] = {}
    for i in range(partitions):
        p = first_partition + i
        if p > 0 and p % n == 0:
            shift += 1
        first = (p + start) % n
        replicas = [ordered[first]]
        for j in range(replication_factor - 1):
            replicas.append(ordered[(first + 1 + (shift + j) % max(n - 1, 1)) % n])
        out[p] = tuple(replicas)
    return out
