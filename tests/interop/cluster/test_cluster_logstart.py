"""A follower whose log ends below the leader's log start offset (DeleteRecords on the leader
while the follower was down) restarts its log at the leader's log start, catches up and rejoins
the ISR; a follower that is up follows the leader's log start; a replica added by a
reassignment starts at the leader's log start. On Apache ZooKeeper 3.8."""

from __future__ import annotations

import pytest
from cluster_harness import AckedProducer, admin, leaders, wait_for
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic
from kafka import KafkaAdminClient
from kafka import TopicPartition as KTopicPartition

from odradek.broker.cluster_main import LocalCluster

pytestmark = pytest.mark.interop


def delete_before(bootstrap: str, topic: str, offset: int) -> int:
    client = admin(bootstrap)  # keep the client alive until the future completes
    futs = client.delete_records([TopicPartition(topic, 0, offset)])
    (result,) = futs.values()
    return int(result.result(20).low_watermark)


def log_start_of(c: LocalCluster, broker: int) -> int:
    """From the broker's ``log-start-offset-checkpoint`` (written on every change)."""
    text = (c.brokers[broker].data_dir / "log-start-offset-checkpoint").read_text()
    for line in text.splitlines()[2:]:
        topic, partition, offset = line.split()
        if (topic, partition) == ("ls", "0"):
            return int(offset)
    return -1


def watermarks(bootstrap: str, topic: str) -> tuple[int, int]:
    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "ls-probe", "socket.timeout.ms": 3000}
    )
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
        return int(low), int(high)
    finally:
        c.close()


def read_from(bootstrap: str, topic: str, offset: int, expect: int) -> dict[int, bytes]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "ls-read", "socket.timeout.ms": 3000})
    c.assign([TopicPartition(topic, 0, offset)])
    seen: dict[int, bytes] = {}
    try:
        for _ in range(60):
            m = c.poll(0.5)
            if m is not None and not m.error():
                seen[m.offset()] = m.value()
            if len(seen) >= expect:
                break
    finally:
        c.close()
    return seen


def test_follower_behind_log_start_restarts_there(apache_cluster: LocalCluster) -> None:
    c = apache_cluster
    a = admin(c.bootstrap)
    wait_for(lambda: len(a.list_topics(timeout=3).brokers) == 3, 20, "live brokers")
    a.create_topics([NewTopic("ls", 1, replica_assignment=[[1, 2]])])["ls"].result(20)
    wait_for(lambda: leaders(c.bootstrap, "ls")[0] == (1, [1, 2]), 20, "leader 1, isr [1, 2]")

    p = AckedProducer(c.bootstrap, "ls")
    p.produce(100, partition=0)
    assert p.flush() == 0
    c.kill9(2)
    wait_for(lambda: leaders(c.bootstrap, "ls")[0][1] == [1], 30, "isr [1]")
    p.produce(250, partition=0)
    assert p.flush() == 0 and not p.errors
    assert delete_before(c.bootstrap, "ls", 250) == 250  # the follower's log ends at 100

    c.restart(2)
    wait_for(lambda: sorted(leaders(c.bootstrap, "ls")[0][1]) == [1, 2], 30, "isr [1, 2]")
    # the old data is gone: the log restarted at (the batch holding) the leader's log start
    segments = sorted(f.name for f in (c.brokers[2].data_dir / "ls-0").glob("*.log"))
    assert 100 <= int(segments[0][:20]) <= 250, segments  # 0..99 were dropped
    wait_for(lambda: log_start_of(c, 2) == 250, 10, "broker 2's log start 250")

    # with the follower up, it follows the leader's log start
    assert delete_before(c.bootstrap, "ls", 300) == 300
    wait_for(lambda: log_start_of(c, 2) == 300, 10, "broker 2's log start 300")
    c.kill9(1)
    wait_for(lambda: leaders(c.bootstrap, "ls")[0][0] == 2, 30, "broker 2 leads")
    assert wait_for(lambda: watermarks(c.bootstrap, "ls") == (300, 350), 20, "2's offsets")
    by_offset = {off: value for value, (_p, off) in p.acked.items()}
    seen = read_from(c.bootstrap, "ls", 300, 50)
    assert seen == {o: by_offset[o] for o in range(300, 350)}

    # a new, empty replica of a log that no longer starts at 0 starts at the leader's start
    kp = KafkaAdminClient(bootstrap_servers=c.brokers[2].bootstrap, request_timeout_ms=10000)
    try:
        kp.alter_partition_reassignments({KTopicPartition("ls", 0): [2, 3]})
    finally:
        kp.close()
    wait_for(lambda: sorted(leaders(c.bootstrap, "ls")[0][1]) == [2, 3], 30, "isr [2, 3]")
    wait_for(lambda: log_start_of(c, 3) == 300, 10, "broker 3's log start 300")
