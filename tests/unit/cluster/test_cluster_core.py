"""Unit tests of the cluster-mode cores: controller request codecs, znode JSON, replica
assignment, leader election rules, partition ISR/high-watermark rules, epoch truncation."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter

import pytest

from odradek.common.errors import KafkaError
from odradek.controller import election
from odradek.controller import zk_paths as zp
from odradek.controller.assignment import assign_replicas
from odradek.replication import wire
from odradek.replication.metadata_cache import MetadataCache
from odradek.replication.partition import Partition
from odradek.replication.truncation import end_of_epoch, epoch_end_offset, truncation_offset

STATES = [
    wire.PartitionStateMsg("a", 0, 3, 1, 7, (1, 2), 4, (1, 2, 3), True, ()),
    wire.PartitionStateMsg("a", 1, 3, 2, 0, (2,), 0, (2, 3, 1), False, ()),
    wire.PartitionStateMsg("b", 0, 2, -1, 9, (), 11, (3,), False, ()),
]
HEADER = wire.ControlHeader(1, 3, 42)


def test_leader_and_isr_round_trip() -> None:
    req = wire.LeaderAndIsrRequest(HEADER, STATES, [wire.LiveBroker(1, "h1", 9092)])
    data = wire.encode_leader_and_isr(req)
    assert wire.decode_leader_and_isr(memoryview(data), 0) == req


def test_update_metadata_round_trip_with_offline_replicas() -> None:
    parts = [
        wire.PartitionStateMsg(s.topic, s.partition, s.controller_epoch, s.leader,
                               s.leader_epoch, s.isr, s.zk_version, s.replicas, False, (3,))
        for s in STATES
    ]  # fmt: skip
    brokers = [wire.LiveBroker(1, "h1", 1), wire.LiveBroker(2, "h2", 2, "rack-b")]
    req = wire.UpdateMetadataRequest(HEADER, parts, brokers)
    assert wire.decode_update_metadata(memoryview(wire.encode_update_metadata(req)), 0) == req


def test_stop_replica_and_responses_round_trip() -> None:
    req = wire.StopReplicaRequest(HEADER, True, [("a", 0), ("a", 2), ("b", 1)])
    assert wire.decode_stop_replica(memoryview(wire.encode_stop_replica(req)), 0) == req
    errors = [("a", 0, 0), ("b", 1, 6)]
    body = wire.encode_partition_errors(0, errors)
    assert wire.decode_partition_errors(memoryview(body), 0) == (0, errors)
    assert wire.decode_error_only(memoryview(wire.encode_error_only(11)), 0) == 11


def test_znode_json_matches_kafka_layout() -> None:
    tid = uuid.uuid4()
    a = zp.TopicAssignment(tid, {0: (1, 2), 1: (2, 3)}, {}, {})
    doc = json.loads(zp.encode_topic(a))
    assert doc["version"] == 3 and doc["partitions"] == {"0": [1, 2], "1": [2, 3]}
    assert len(doc["topic_id"]) == 22 and zp.decode_topic(zp.encode_topic(a)) == a
    st = zp.PartitionState(2, 5, (2, 1), 7, zk_version=3)
    assert json.loads(zp.encode_state(st)) == {
        "controller_epoch": 7, "leader": 2, "version": 1, "leader_epoch": 5, "isr": [2, 1],
    }  # fmt: skip
    assert zp.decode_state(zp.encode_state(st), 3) == st
    reg = zp.BrokerRegistration(4, "127.0.0.1", 9093, "r1")
    broker = json.loads(zp.encode_broker(reg))
    assert broker["endpoints"] == ["PLAINTEXT://127.0.0.1:9093"] and broker["version"] == 5
    assert zp.decode_broker(4, zp.encode_broker(reg)) == reg
    assert zp.decode_controller(zp.encode_controller(3)) == 3
    assert zp.split_chroot("h1:1,h2:2/kafka/x") == ("h1:1,h2:2", "/kafka/x")
    moves = {("t", 0): (4, 1, 2)}
    assert zp.decode_reassignment(zp.encode_reassignment(moves)) == moves


def test_assignment_is_balanced_and_distinct() -> None:
    plan = assign_replicas([1, 2, 3, 4], 12, 3, random.Random(7))
    assert all(len(set(r)) == 3 for r in plan.values())
    assert set(Counter(r[0] for r in plan.values()).values()) == {3}  # leaders spread evenly
    assert Counter(b for r in plan.values() for b in r) == {1: 9, 2: 9, 3: 9, 4: 9}
    with pytest.raises(KafkaError):
        assign_replicas([1, 2], 1, 3)


def test_election_rules() -> None:
    assert election.new_partition((3, 1, 2), {1, 2}) == (1, (1, 2))
    assert election.offline((1, 2, 3), (1, 3), {2, 3}, unclean=False) == (3, (3,))
    assert election.offline((1, 2, 3), (1,), {2, 3}, unclean=False) is None
    assert election.offline((1, 2, 3), (1,), {2, 3}, unclean=True) == (2, (2,))
    assert election.preferred((2, 1), (1, 2), {1, 2}) == (2, (1, 2))
    assert election.preferred((2, 1), (1,), {1, 2}) is None
    assert election.controlled_shutdown((1, 2, 3), (1, 2, 3), {1, 2, 3}, {1}) == (2, (2, 3))


def _leader(now: int = 0) -> Partition:
    p = Partition("t", 0, local_id=1)
    p.apply(1, 4, (1, 2, 3), (1, 2, 3), 0, 1, now)
    return p


def test_high_watermark_is_min_isr_log_end_and_never_moves_back() -> None:
    p = _leader()
    assert p.high_watermark(10, 0) == 0  # follower positions unknown yet
    p.on_follower_fetch(2, 6, 10, 1)
    p.on_follower_fetch(3, 8, 10, 1)
    assert p.high_watermark(10, 0) == 6
    assert p.high_watermark(10, 7) == 7


def test_isr_shrinks_after_lag_and_expands_when_caught_up() -> None:
    p = _leader(now=0)
    p.on_follower_fetch(2, 10, 10, 100)
    assert p.isr_to_shrink(140, 150) is None  # both inside the grace period of the new leader
    assert p.isr_to_shrink(200, 150) == (1, 2)  # 3 never fetched
    assert p.isr_to_shrink(400, 150) == (1,)  # 2 not caught up for 300 ms either
    p.isr = (1,)
    p.on_follower_fetch(3, 9, 10, 450)
    assert p.isr_to_expand(hw=10) == (1, 2)  # 2 is at the high watermark, 3 is not
    p.isr = (1, 2)
    assert p.isr_to_expand(hw=10) is None
    p.on_follower_fetch(3, 10, 10, 460)
    assert p.isr_to_expand(hw=10) == (1, 2, 3)


def test_high_watermark_waits_for_a_replica_being_added_to_the_isr() -> None:
    p = _leader(now=0)
    p.isr = (1,)
    p.on_follower_fetch(2, 10, 10, 5)
    p.pending_isr = p.isr_to_expand(hw=10)  # the leader starts writing ISR [1, 2]
    assert p.pending_isr == (1, 2)
    # more records arrive before ZooKeeper confirms: they are not committed until 2 has them
    assert p.high_watermark(15, 10) == 10
    p.on_follower_fetch(2, 15, 15, 6)
    assert p.high_watermark(15, 10) == 15


def test_a_replica_joins_the_isr_only_once_it_fetched_in_the_current_epoch() -> None:
    p = _leader(now=0)
    p.isr = (1,)
    p.epoch_start_offset = 10  # the leader had 10 records when its epoch began; HW lags at 5
    p.on_follower_fetch(2, 7, 12, 5)
    assert p.isr_to_expand(hw=5) is None
    p.on_follower_fetch(2, 10, 12, 6)
    assert p.isr_to_expand(hw=5) == (1, 2)


def test_follower_ahead_of_the_leader_is_not_progress() -> None:
    p = _leader(now=0)
    p.isr = (1,)
    p.on_follower_fetch(2, 50, 10, 5)  # diverged follower, beyond the leader's log end
    assert p.followers[2].leo == -1
    assert p.isr_to_expand(hw=10) is None
    assert p.high_watermark(10, 0) == 10  # ISR is the leader alone


def test_follower_under_steady_load_stays_in_sync() -> None:
    p = _leader(now=0)
    leo = 10
    for t in range(0, 1000, 50):  # each fetch reaches what the leader had at the previous one
        p.on_follower_fetch(2, leo, leo + 5, t)
        p.on_follower_fetch(3, leo, leo + 5, t)
        leo += 5
    assert p.isr_to_shrink(1000, 200) is None


def test_epoch_answers_and_truncation() -> None:
    leader = [(0, 0), (2, 5)]
    assert epoch_end_offset(leader, 9, 2) == (2, 9)
    assert epoch_end_offset(leader, 9, 1) == (0, 5)
    assert epoch_end_offset([(3, 4)], 9, 1) == (1, 4)  # older than every epoch: start of first
    assert epoch_end_offset([], 0, 1) == (-1, -1)
    # follower wrote epoch 1 at 0..1 while the leader kept epoch 0 there: cut everything
    follower = [(1, 0)]
    e, end = epoch_end_offset([(0, 0)], 2, 1)
    fn = lambda x: end_of_epoch(follower, 2, x)  # noqa: E731
    assert truncation_offset(2, 0, 1, fn, e, end) == 0
    # same epoch: cut at the leader's end of it
    assert truncation_offset(8, 3, 2, lambda x: 8, 2, 6) == 6
    # no epochs anywhere: keep the log; leader has none: fall back to the high watermark
    assert truncation_offset(5, 2, -1, lambda x: 5, -1, -1) == 5
    assert truncation_offset(5, 2, 1, lambda x: 5, -1, -1) == 2


def test_metadata_cache_ignores_stale_controllers_and_deletes() -> None:
    cache = MetadataCache()
    live = [wire.LiveBroker(1, "h", 1), wire.LiveBroker(2, "h", 2)]
    assert cache.update(wire.UpdateMetadataRequest(wire.ControlHeader(1, 5), STATES, live))
    assert cache.has_leaders("a", 2) and not cache.has_leaders("b", 1)
    assert not cache.update(wire.UpdateMetadataRequest(wire.ControlHeader(2, 4), [], []))
    gone = [wire.PartitionStateMsg("a", p, 5, -2, 0, (), 0, ()) for p in (0, 1)]
    cache.update(wire.UpdateMetadataRequest(wire.ControlHeader(1, 5), gone, live))
    assert "a" not in cache.topics and cache.controller_id == 1
