"""Replication throttle: which replicas are throttled, and the byte-rate quota (virtual clock)."""

from __future__ import annotations

import pytest

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig, validate_topic_configs
from odradek.common.errors import KafkaError
from odradek.replication.throttle import ReplicationQuota, ReplicationThrottle, is_throttled


def test_replica_lists() -> None:
    spec = ("0:1", "1:2", " 2 : 3 ")
    assert is_throttled(spec, 0, 1) and is_throttled(spec, 2, 3)
    assert not is_throttled(spec, 0, 2) and not is_throttled(spec, 3, 1)
    assert is_throttled(("*",), 7, 9) and not is_throttled((), 0, 1)
    cfg = LogConfig.from_props({"leader.replication.throttled.replicas": "0:1,1:2"})
    assert cfg.leader_replication_throttled_replicas == ("0:1", "1:2")
    assert cfg.follower_replication_throttled_replicas == ()
    validate_topic_configs([("follower.replication.throttled.replicas", "*")])
    validate_topic_configs([("follower.replication.throttled.replicas", "0:1, 1:2")])
    with pytest.raises(KafkaError):
        validate_topic_configs([("leader.replication.throttled.replicas", "0-1")])


def test_quota_holds_the_long_run_rate() -> None:
    clock = ManualClock()
    q = ReplicationQuota(clock, 1000)
    moved = 0
    for _ in range(1000):  # 10 s of 10 ms steps, fetching 300 bytes whenever allowed
        if not q.exceeded():
            q.record(300)
            moved += 300
        clock.advance(10)
    assert 9000 <= moved <= 11300  # ~1000 B/s, one fetch of overdraft at most
    unlimited = ReplicationQuota(clock)
    unlimited.record(10**9)
    assert not unlimited.exceeded()


def test_throttle_applies_to_listed_replicas_only() -> None:
    clock = ManualClock()
    t = ReplicationThrottle(2, clock)
    cfg = LogConfig.from_props(
        {
            "leader.replication.throttled.replicas": "0:2",
            "follower.replication.throttled.replicas": "1:2",
        }
    )
    assert not t.follower_throttled(1, cfg)  # no rate set yet
    t.configure(
        {"leader.replication.throttled.rate": "100", "follower.replication.throttled.rate": "100"}
    )
    assert t.follower_throttled(1, cfg) and not t.follower_throttled(0, cfg)
    t.follower.record(500)
    assert t.follower_blocked(1, cfg) and not t.follower_blocked(0, cfg)
    clock.advance(5000)
    assert not t.follower_blocked(1, cfg)

    isr = {("t", 0): (2, 3)}
    gate_out = t.leader_gate(4, lambda topic, p, r: r in isr.get((topic, p), ()))
    gate_in = t.leader_gate(3, lambda topic, p, r: r in isr.get((topic, p), ()))
    assert gate_out.throttled("t", 0, cfg) and not gate_in.throttled("t", 0, cfg)
    assert not gate_out.throttled("t", 1, cfg)
    gate_out.record("t", 0, cfg, 1000)
    assert gate_out.blocked("t", 0, cfg) and not gate_in.blocked("t", 0, cfg)
    t.configure({})  # rates removed: nothing is throttled
    assert not gate_out.blocked("t", 0, cfg)
