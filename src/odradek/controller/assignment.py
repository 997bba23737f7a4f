"""Replica assignment for new topics and partitions (Kafka's rack-unaware algorithm), and the
validation of assignments given explicitly by CreateTopics / CreatePartitions.

Default placement: over the broker ids sorted, replicas of partition ``p`` start at broker
``(p + start) % n``; replica ``j >= 1`` is at ``first + 1 + (shift + j - 1) % (n - 1)``, and
``shift`` grows by one every ``n`` partitions, so leaders and followers are balanced. For a new
topic ``start`` and ``shift`` are random (injected ``random.Random``); when partitions are added
both are the index of the first broker not below partition 0's first replica, so the new
partitions continue the existing pattern (Kafka's ``AdminUtils``,
``createNewPartitionsAssignment``).

Explicit assignments are checked as Kafka does in ZooKeeper mode: CreateTopics needs partition ids
``0..n-1``, no broker twice in one list, the same replication factor everywhere; it does not check
that the brokers are registered. CreatePartitions also refuses unregistered brokers and a
replication factor other than the topic's.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence

from odradek.common.errors import ErrorCode, KafkaError

Assignment = dict[int, tuple[int, ...]]


def assign_replicas(
    brokers: list[int],
    partitions: int,
    replication_factor: int,
    rng: random.Random | None = None,
    first_partition: int = 0,
    fixed_start: int = -1,
) -> Assignment:
    """``{partition: replicas}`` for ``partitions`` partitions from ``first_partition``."""
    n = len(brokers)
    if replication_factor > n:
        raise KafkaError(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            f"Replication factor: {replication_factor} larger than available brokers: {n}.",
        )
    if n == 0:
        return {}
    ordered = sorted(brokers)
    if fixed_start >= 0:
        start = shift = fixed_start
    else:
        rng = rng or random.Random()
        start = rng.randrange(n)
        shift = rng.randrange(n)
    out: Assignment = {}
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


def continuation_start(brokers: Collection[int], existing: Assignment) -> int:
    """Start index for added partitions: the first broker (sorted) not below the first replica
    of partition 0, as Kafka does so the new partitions extend the existing layout."""
    first = existing[0][0] if existing.get(0) else 0
    ordered = sorted(brokers)
    for i, b in enumerate(ordered):
        if b >= first:
            return i
    return 0


def _invalid(message: str) -> KafkaError:
    return KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, message)


def _check_list(partition: int, replicas: Sequence[int]) -> tuple[int, ...]:
    if not replicas:
        raise _invalid(f"Cannot have replication factor of 0 for partition id {partition}.")
    if len(set(replicas)) != len(replicas):
        raise _invalid(
            f"Duplicate brokers not allowed in replica assignment: "
            f"{', '.join(map(str, replicas))} for partition id {partition}."
        )
    return tuple(int(r) for r in replicas)


def validate_topic_assignment(lists: Iterable[tuple[int, Sequence[int]]]) -> Assignment:
    """CreateTopics ``assignments``: ``(partition_index, broker_ids)`` pairs → the assignment."""
    out: Assignment = {}
    for p, replicas in lists:
        if p in out:
            raise _invalid("partitions should be a consecutive 0-based integer sequence")
        out[p] = _check_list(p, replicas)
    if not out:
        raise _invalid("The replica assignment is empty.")
    if len({len(r) for r in out.values()}) != 1:
        raise _invalid("All partitions should have the same number of replicas")
    if sorted(out) != list(range(len(out))):
        raise _invalid("partitions should be a consecutive 0-based integer sequence")
    return out


def validate_added_partitions(
    lists: Sequence[Sequence[int]],
    first_partition: int,
    increment: int,
    replication_factor: int,
    registered: Collection[int],
) -> Assignment:
    """CreatePartitions ``assignments`` (one broker list per new partition, in order)."""
    unknown = sorted({b for replicas in lists for b in replicas} - set(registered))
    if unknown:
        raise _invalid(f"Unknown broker(s) in replica assignment: {', '.join(map(str, unknown))}.")
    if len(lists) != increment:
        raise _invalid(
            f"Increasing the number of partitions by {increment} "
            f"but {len(lists)} assignments provided."
        )
    out = {first_partition + i: _check_list(first_partition + i, r) for i, r in enumerate(lists)}
    bad = {p: len(r) for p, r in out.items() if len(r) != replication_factor}
    if bad:
        raise _invalid(
            f"Inconsistent replication factor between partitions, partition 0 has "
            f"{replication_factor} while partitions {sorted(bad)} have replication factors "
            f"{[bad[p] for p in sorted(bad)]}, respectively."
        )
    return out
