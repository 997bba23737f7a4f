"""Real clients in a consumer group: 1→3 members, a clean leave, a crash, exact resumption.

Each member is its own process (tests/interop/groups/member.py) so a crash is a real SIGKILL
with no LeaveGroup. Records are reported only after the commit covering them succeeded, and
membership only changes while the group is idle, so every record must be reported exactly once
across all members: none lost, none re-read beyond the last commit.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from groups.group_procs import (
    Member,
    create_topic,
    is_partition_of,
    produce,
    wait_until,
)
from odradek.testing.process import BrokerProcess

pytestmark = pytest.mark.interop

PARTITIONS = 6
PER_PARTITION = 5
ALL = set(range(PARTITIONS))
BROKER_PROPS = {
    "group.initial.rebalance.delay.ms": "0",
    "group.min.session.timeout.ms": "1000",
    "group.consumer.session.timeout.ms": "3000",
    "group.consumer.heartbeat.interval.ms": "500",
    "offsets.topic.num.partitions": "10",
}
_names = itertools.count()


@pytest.fixture(scope="module")
def group_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    proc = BrokerProcess(tmp_path_factory.mktemp("groups") / "data", props=BROKER_PROPS).start()
    yield proc
    proc.stop()


def _consumed(members: list[Member]) -> Counter[tuple[int, int]]:
    return Counter(r for m in members for r in m.records())


@pytest.mark.parametrize(
    "client", ["confluent", "confluent-coop", "confluent-consumer", "kafka-python", "aiokafka"]
)
def test_members_join_leave_crash_and_resume_exactly(
    group_broker: BrokerProcess, client: str
) -> None:
    bs = group_broker.bootstrap
    n = next(_names)
    topic, group = f"t-{client}-{n}", f"g-{client}-{n}"
    create_topic(bs, topic, PARTITIONS)
    everyone: list[Member] = []
    live: list[Member] = []
    batches = 0

    def settle(what: str, timeout: float = 30) -> None:
        nonlocal batches
        wait_until(lambda: is_partition_of(live, ALL), timeout, f"{what}: a partition of the set")
        produce(bs, topic, PARTITIONS, PER_PARTITION, f"b{batches}")
        batches += 1
        expected = batches * PARTITIONS * PER_PARTITION
        wait_until(
            lambda: sum(_consumed(everyone).values()) >= expected,
            30,
            f"{what}: {expected} committed records",
        )
        assert is_partition_of(live, ALL), [m.assignment() for m in live]

    try:
        for i in range(3):  # 1 -> 2 -> 3 members
            m = Member(client, bs, topic, group)
            everyone.append(m)
            live.append(m)
            settle(f"{i + 1} members")
        assert all(len(m.assignment()) == 2 for m in live)
        leaving = live.pop(1)
        leaving.stop()  # a clean LeaveGroup
        settle("after a leave")
        crashed = live.pop(0)
        crashed.kill9()  # no LeaveGroup: the session timeout must expire
        settle("after a crash")
        assert live[0].assignment() == ALL
        counts = _consumed(everyone)
        produced = {(p, o) for p in range(PARTITIONS) for o in range(batches * PER_PARTITION)}
        assert set(counts) == produced  # nothing lost
        assert max(counts.values()) == 1  # nothing read twice
    finally:
        for m in everyone:
            m.kill9()


@pytest.mark.parametrize("client", ["confluent", "confluent-consumer", "kafka-python"])
def test_static_member_restart_keeps_assignment_without_rebalance(
    group_broker: BrokerProcess, client: str
) -> None:
    bs = group_broker.bootstrap
    n = next(_names)
    topic, group = f"t-static-{n}", f"g-static-{n}"
    create_topic(bs, topic, PARTITIONS)
    a = Member(client, bs, topic, group, "instance-a")
    b = Member(client, bs, topic, group, "instance-b")
    others: list[Member] = []
    try:
        wait_until(lambda: is_partition_of([a, b], ALL), 30, "two static members assigned")
        before_a, before_b = a.assignment(), b.assignment()
        a_events = len(a.events)
        b.stop()  # a static member's close does not leave the group
        b2 = Member(client, bs, topic, group, "instance-b")
        others.append(b2)
        wait_until(lambda: bool(b2.assignment()), 20, "restarted static member assigned")
        assert b2.assignment() == before_b
        produce(bs, topic, PARTITIONS, 2, "s")
        wait_until(lambda: len(a.records()) + len(b2.records()) >= 12, 20, "records consumed")
        # a never saw a revocation: no assignment event since the restart.
        assert [e for e in a.events[a_events:] if e["ev"] == "assign"] == []
        assert a.assignment() == before_a
    finally:
        for m in (a, b, *others):
            m.kill9()


def test_broker_kill9_restart_restores_groups_and_offsets(tmp_path: Path) -> None:
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    broker = BrokerProcess(tmp_path / "data", props=BROKER_PROPS).start()
    try:
        bs = broker.bootstrap
        create_topic(bs, "durable", PARTITIONS)
        produce(bs, "durable", PARTITIONS, 4, "before")
        m = Member("confluent", bs, "durable", "survivor")
        wait_until(lambda: len(m.records()) >= 24, 30, "first records committed")
        m.stop()
        broker.kill9()
        broker = BrokerProcess(tmp_path / "data", port=broker.port, props=BROKER_PROPS).start()
        c = Consumer({"bootstrap.servers": bs, "group.id": "survivor"})
        committed = c.committed([TopicPartition("durable", p) for p in range(PARTITIONS)], 15)
        c.close()
        assert [tp.offset for tp in committed] == [4] * PARTITIONS
        admin = AdminClient({"bootstrap.servers": bs})
        groups = admin.list_consumer_groups().result(15)
        assert "survivor" in {g.group_id for g in groups.valid}
        produce(bs, "durable", PARTITIONS, 1, "after")
        m2 = Member("confluent-consumer", bs, "durable", "survivor")
        wait_until(lambda: len(m2.records()) >= 6, 30, "resumed after restart")
        assert sorted(m2.records()) == [(p, 4) for p in range(PARTITIONS)]
        m2.stop()
    finally:
        broker.stop()
