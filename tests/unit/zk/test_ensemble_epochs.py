"""A learner that accepted a later epoch (from a leader that never established) can never follow
an older one; the leader steps down so the next election picks an epoch above it."""

from __future__ import annotations

from odradek.zk.ensemble import messages as m
from odradek.zk.ensemble.leader import Leader
from odradek.zk.ensemble.peer import Peer, PeerConfig


def _leader(epoch: int) -> tuple[Peer, Leader]:
    peer = Peer(PeerConfig(1, frozenset({1, 2, 3, 4, 5})), epoch, epoch, 0)
    peer.state = m.LEADING
    leader = Leader(peer, 0)
    peer.role = leader
    leader.epoch, leader.established = epoch, True
    return peer, leader


def test_leader_steps_down_for_a_learner_with_a_later_accepted_epoch() -> None:
    peer, leader = _leader(12)
    leader.receive(5, 0, m.FollowerInfo(13, 0, False), 100)
    assert peer.state == m.LOOKING and peer.role is None


def test_learner_with_an_older_or_equal_epoch_is_taken_in() -> None:
    for accepted in (11, 12):
        peer, leader = _leader(12)
        peer.out.clear()
        leader.receive(5, 0, m.FollowerInfo(accepted, 0, False), 100)
        assert peer.state == m.LEADING and 5 in leader.learners
        assert any(isinstance(a.msg, m.LeaderInfo) for a in peer.out if hasattr(a, "msg"))
