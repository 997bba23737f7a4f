"""Unit tests of the ensemble's sans-IO pieces: the quorum codec and fast leader election."""

from __future__ import annotations

import pytest

from odradek.zk.codes import Op
from odradek.zk.ensemble import messages as m
from odradek.zk.ensemble.election import Election
from odradek.zk.ensemble.leader import BROADCAST, Leader, LearnerHandle
from odradek.zk.ensemble.peer import Peer, PeerConfig
from odradek.zk.jute import JuteError
from odradek.zk.txn import CreateTxn, Txn

TXN = Txn(7, 3, 5 << 32 | 9, 1234, Op.CREATE, CreateTxn("/a", b"x", (), 0, 1))


@pytest.mark.parametrize(
    "msg",
    [
        m.Vote(3, 5 << 32 | 9, 5, 12, m.LOOKING),
        m.FollowerInfo(4, 99, True),
        m.LeaderInfo(6),
        m.AckEpoch(5, 77),
        m.Diff(8),
        m.Trunc(9),
        m.Snap(10, b"snapshot bytes"),
        m.Proposal(TXN),
        m.Commit(11),
        m.Inform(TXN),
        m.NewLeader(6 << 32),
        m.AckNewLeader(12),
        m.UpToDate(),
        m.Ack(13),
        m.Ping(((1, 4000), (-5, 6000))),
        m.Request(-3, 17, Op.SET_DATA, b"payload", (("ip", "127.0.0.1"), ("digest", "u:p"))),
        m.SyncReq(5),
        m.SyncDone(5),
    ],
)
def test_codec_round_trip(msg: m.Message) -> None:
    assert m.decode(m.encode(2, 6, msg)) == (2, 6, msg)


def test_codec_rejects_garbage() -> None:
    with pytest.raises(JuteError):
        m.decode(b"\x00\x00")
    with pytest.raises(JuteError):
        m.decode(m.encode(1, 0, m.Ack(1))[:12] + b"\x7f")


def _elect(zxids: dict[int, int]) -> dict[int, int]:
    """Run an election with lossless instant delivery; returns who each server chose."""
    voters = frozenset(zxids)
    el = {i: Election(i, voters, voters - {i}, finalize_ms=10) for i in voters}
    for i, e in el.items():
        e.start(0, 1, zxids[i])
    now = 0
    for _ in range(200):
        now += 5
        for i, e in el.items():
            out, e.out = e.out, []
            for to, vote in out:
                el[to].receive(i, vote, now)
        for e in el.values():
            e.tick(now)
        if all(e.decided is not None for e in el.values()):
            break
    return {i: e.decided for i, e in el.items() if e.decided is not None}


def test_election_prefers_the_longest_history_then_the_highest_id() -> None:
    assert _elect({1: 10, 2: 30, 3: 20}) == {1: 2, 2: 2, 3: 2}
    assert _elect({1: 10, 2: 10, 3: 10}) == {1: 3, 2: 3, 3: 3}


def test_late_server_joins_an_established_leader() -> None:
    voters = frozenset({1, 2, 3})
    late = Election(1, voters, voters - {1})
    late.start(0, 0, 0)
    late.receive(2, m.Vote(3, 50, 2, 4, m.FOLLOWING), 1)
    assert late.decided is None  # the leader itself has not confirmed yet
    late.receive(3, m.Vote(3, 50, 2, 4, m.LEADING), 2)
    assert late.decided == 3


def test_leader_commits_only_with_a_quorum_of_acks() -> None:
    peer = Peer(PeerConfig(1, frozenset({1, 2, 3})), 0, 0, 0)
    leader = Leader(peer, 0)
    peer.role = leader
    leader.epoch, leader.established = 1, True
    txn = Txn(0, 1, leader.next_zxid(), 0, Op.CREATE, CreateTxn("/a", b"", (), 0, 1))
    leader.propose(txn)
    leader.logged(txn.zxid)  # the leader's own fsync: 1 of 3
    assert peer.last_committed == 0
    leader.learners[2] = LearnerHandle(False, 0, phase=BROADCAST)
    leader.receive(2, 1, m.Ack(txn.zxid), 1)
    assert peer.last_committed == txn.zxid == 1 << 32 | 1
