"""The quorum peer (sans-IO): election, then the leader or learner role of Zab.

Persistent state: ``accepted_epoch`` and ``current_epoch`` (saved through
:class:`~odradek.zk.ensemble.actions.SaveEpochs`) and the txn log; ``last_logged`` is the newest
logged zxid, ``last_committed`` the newest applied one, ``pending`` the logged txns not yet
committed (learners only). Zxids are ``epoch << 32 | counter``. A server that leaves a role
(timeout, lost quorum, any protocol anomaly) goes back to LOOKING and starts a new election;
its driver drops its clients then, as ZooKeeper does. ``now`` is in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from odradek.zk.ensemble.actions import Action, ApplyTxn, RoleChange, SaveEpochs, Send
from odradek.zk.ensemble.election import Election
from odradek.zk.ensemble.messages import (
    FOLLOWING,
    LEADING,
    LOOKING,
    OBSERVING,
    FollowerInfo,
    Message,
    Vote,
)
from odradek.zk.txn import Txn


@dataclass(frozen=True, slots=True)
class PeerConfig:
    my_id: int
    voters: frozenset[int]
    observers: frozenset[int] = frozenset()
    tick_ms: int = 2000
    init_limit: int = 10
    sync_limit: int = 5
    max_log: int = 10000  # committed txns kept in memory for DIFF/TRUNC
    finalize_ms: int = 200


class Peer:
    def __init__(
        self, cfg: PeerConfig, accepted_epoch: int, current_epoch: int, last_zxid: int
    ) -> None:
        self.cfg = cfg
        self.my_id = cfg.my_id
        self.observer = cfg.my_id not in cfg.voters
        self.accepted_epoch = accepted_epoch
        self.current_epoch = current_epoch
        self.last_logged = last_zxid
        self.last_committed = last_zxid
        self.synced = last_zxid
        self.pending: list[Txn] = []
        self.history: list[Txn] = []  # committed txns after ``floor``, in zxid order
        self.history_zxids: list[int] = []
        self.floor = last_zxid
        self.state = LOOKING
        self.leader_id = -1
        self.out: list[Action] = []
        everyone = cfg.voters | cfg.observers
        # votes are re-sent every tick, at most every 2 finalize waits (a lost vote costs that)
        resend = max(50, min(cfg.tick_ms, 2 * cfg.finalize_ms))
        self.election = Election(
            cfg.my_id, cfg.voters, everyone - {cfg.my_id}, cfg.finalize_ms, resend
        )
        self.role: Role | None = None
        # FOLLOWERINFO that reached us while still electing: replayed if we become the leader
        self.early: dict[int, tuple[int, Message]] = {}

    # ------------------------------------------------------------ helpers
    def quorum(self, members: set[int]) -> bool:
        return 2 * len(members & self.cfg.voters) > len(self.cfg.voters)

    def send(self, to: int, epoch: int, msg: Message) -> None:
        self.out.append(Send(to, epoch, msg))

    def save_epochs(self) -> None:
        self.out.append(SaveEpochs(self.accepted_epoch, self.current_epoch))

    def commit(self, txn: Txn) -> None:
        """Apply one committed txn and keep it for DIFF."""
        self.out.append(ApplyTxn(txn))
        self.last_committed = txn.zxid
        self.history.append(txn)
        self.history_zxids.append(txn.zxid)
        if len(self.history) > self.cfg.max_log * 2:
            cut = len(self.history) - self.cfg.max_log
            self.floor = self.history_zxids[cut - 1]
            del self.history[:cut]
            del self.history_zxids[:cut]

    def commit_pending(self, upto: int) -> bool:
        """Apply pending txns up to ``upto``; False if ``upto`` was never proposed here."""
        n = 0
        for t in self.pending:
            if t.zxid > upto:
                break
            n += 1
        for t in self.pending[:n]:
            self.commit(t)
        del self.pending[:n]
        return upto <= self.last_committed

    def reset_history(self, zxid: int) -> None:
        self.pending = []
        self.history, self.history_zxids = [], []
        self.floor = self.last_logged = self.last_committed = self.synced = zxid

    # ------------------------------------------------------------ events
    def start(self, now: int) -> None:
        self.go_looking(now)

    def go_looking(self, now: int) -> None:
        if self.role is not None:
            self.role.stop()
        self.role = None
        self.state, self.leader_id = LOOKING, -1
        self.early = {}
        self.out.append(RoleChange(LOOKING, -1))
        self.election.start(now, self.current_epoch, self.last_logged)
        self._drain_election(now)

    def receive(self, sender: int, epoch: int, msg: Message, now: int) -> None:
        if isinstance(msg, Vote):
            self._vote(sender, msg, now)
        elif self.role is not None:
            self.role.receive(sender, epoch, msg, now)
        elif isinstance(msg, FollowerInfo):
            self.early[sender] = (epoch, msg)  # a learner decided before us

    def tick(self, now: int) -> None:
        if self.state == LOOKING:
            self.election.tick(now)
            self._drain_election(now)
        elif self.role is not None:
            self.role.tick(now)

    def link_lost(self, other: int, now: int) -> None:
        """The transport lost messages from ``other`` (a gap or a new incarnation)."""
        if self.role is not None:
            self.role.link_lost(other, now)

    @property
    def serving(self) -> bool:
        return self.role is not None and self.role.serving

    def logged(self, zxid: int) -> None:
        self.synced = max(self.synced, zxid)
        if self.role is not None:
            self.role.logged(zxid)

    def _vote(self, sender: int, v: Vote, now: int) -> None:
        if self.state != LOOKING and sender == self.leader_id != self.my_id and v.state == LOOKING:
            self.go_looking(now)  # our leader gave up: elect with it
        if self.state == LOOKING:
            self.election.receive(sender, v, now)
            self._drain_election(now)
        elif v.state in (LOOKING, OBSERVING) and not self.observer:
            reply = Vote(
                self.leader_id, self.last_logged, self.current_epoch, self.election.round,
                self.state,
            )  # fmt: skip
            self.send(sender, 0, reply)

    def _drain_election(self, now: int) -> None:
        e = self.election
        self.out.extend(Send(to, 0, v) for to, v in e.out)
        e.out.clear()
        if e.decided is None:
            return
        from odradek.zk.ensemble.leader import Leader
        from odradek.zk.ensemble.learner import Learner

        self.leader_id = e.decided
        if e.decided == self.my_id:
            self.state = LEADING
            self.out.append(RoleChange(self.state, e.decided))  # the election is over
            self.role = Leader(self, now)
            early, self.early = self.early, {}
            for sender, (epoch, msg) in sorted(early.items()):
                self.role.receive(sender, epoch, msg, now)
        else:
            self.state = OBSERVING if self.observer else FOLLOWING
            self.out.append(RoleChange(self.state, e.decided))
            self.role = Learner(self, e.decided, now)


class Role:
    """What the leader and the learner roles have in common."""

    def receive(self, sender: int, epoch: int, msg: Message, now: int) -> None:
        raise NotImplementedError

    def tick(self, now: int) -> None:
        raise NotImplementedError

    def logged(self, zxid: int) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        pass

    def link_lost(self, other: int, now: int) -> None:
        raise NotImplementedError

    @property
    def serving(self) -> bool:
        raise NotImplementedError


__all__ = ["FOLLOWING", "LEADING", "LOOKING", "OBSERVING", "Peer", "PeerConfig", "Role"]
