"""Replica placement (Kafka's rack-unaware algorithm) and validation of explicit assignments."""

from __future__ import annotations

import random

import pytest

from odradek.common.errors import ErrorCode, KafkaError
from odradek.controller.assignment import (
    assign_replicas,
    continuation_start,
    validate_added_partitions,
    validate_topic_assignment,
)


def test_fixed_start_matches_kafkas_documented_layout() -> None:
    # the example of Kafka's AdminUtils doc: 5 brokers, 10 partitions, RF 3, start index 0
    plan = assign_replicas([0, 1, 2, 3, 4], 10, 3, fixed_start=0)
    leaders = [plan[p][0] for p in range(10)]
    seconds = [plan[p][1] for p in range(10)]
    assert leaders == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    assert seconds == [1, 2, 3, 4, 0, 2, 3, 4, 0, 1]  # the shift grows after n partitions
    assert plan[0] == (0, 1, 2) and plan[5] == (0, 2, 3)


def test_random_start_is_balanced_and_seeded() -> None:
    a = assign_replicas([3, 1, 2], 6, 2, random.Random(11))
    b = assign_replicas([3, 1, 2], 6, 2, random.Random(11))
    assert a == b
    assert sorted(r[0] for r in a.values()) == [1, 1, 2, 2, 3, 3]
    assert all(len(set(r)) == 2 for r in a.values())
    starts = {assign_replicas([1, 2, 3], 1, 1, random.Random(s))[0][0] for s in range(30)}
    assert starts == {1, 2, 3}  # the first partition's leader is not always the lowest id


def test_added_partitions_continue_the_layout() -> None:
    existing = assign_replicas([1, 2, 3], 3, 2, fixed_start=1)
    start = continuation_start([1, 2, 3], existing)
    assert start == 1 and existing[0][0] == 2
    more = assign_replicas([1, 2, 3], 3, 2, first_partition=3, fixed_start=start)
    assert set(more) == {3, 4, 5}
    assert [more[p][0] for p in (3, 4, 5)] == [2, 3, 1]


def test_topic_assignment_validation() -> None:
    ok = validate_topic_assignment([(1, [2, 3]), (0, [3, 1])])
    assert ok == {0: (3, 1), 1: (2, 3)}
    # unknown brokers are accepted at creation, as in Kafka's ZooKeeper mode
    assert validate_topic_assignment([(0, [1, 99])]) == {0: (1, 99)}
    bad = [
        [(0, [1, 1])],  # duplicate broker
        [(0, [1, 2]), (1, [1])],  # inconsistent replication factor
        [(0, [1]), (2, [2])],  # not 0..n-1
        [(0, [1]), (0, [2])],  # same partition twice
        [(0, [])],  # empty list
    ]
    for lists in bad:
        with pytest.raises(KafkaError) as info:
            validate_topic_assignment(lists)
        assert info.value.code == ErrorCode.INVALID_REPLICA_ASSIGNMENT, lists


def test_added_partitions_validation() -> None:
    assert validate_added_partitions([[1, 2], [2, 3]], 2, 2, 2, {1, 2, 3}) == {
        2: (1, 2),
        3: (2, 3),
    }
    bad = [
        ([[1, 9]], 1),  # broker 9 is not registered
        ([[1, 2]], 2),  # two partitions added, one list
        ([[1, 1]], 1),  # duplicate
        ([[1, 2, 3]], 1),  # replication factor 3 on a topic with 2
    ]
    for lists, increment in bad:
        with pytest.raises(KafkaError) as info:
            validate_added_partitions(lists, 2, increment, 2, {1, 2, 3})
        assert info.value.code == ErrorCode.INVALID_REPLICA_ASSIGNMENT, lists
