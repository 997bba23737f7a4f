"""Fast leader election (sans-IO): votes ordered by (epoch, last zxid, server id).

A looking voter proposes itself, then adopts any better proposal it hears and re-broadcasts.
It decides once a quorum of voters of its round back its proposal and no better vote arrives
within ``finalize_ms``. A server that hears a quorum of voters already following or leading
one leader (and that leader says it leads) joins it at once: that is how a restarted server
or an observer finds an established leader. Votes are re-sent every ``resend_ms`` while
looking, so lost notifications only delay the outcome. Outputs: ``out`` (peer, vote) pairs
and ``decided`` (the leader id) once the election ends.
"""

from __future__ import annotations

from odradek.zk.ensemble.messages import LEADING, LOOKING, OBSERVING, Vote


class Election:
    def __init__(
        self,
        my_id: int,
        voters: frozenset[int],
        peers: frozenset[int],
        finalize_ms: int = 200,
        resend_ms: int = 400,
    ) -> None:
        self.my_id = my_id
        self.voters = voters
        self.peers = peers  # everyone but me, observers included
        self.observer = my_id not in voters
        self.finalize_ms = finalize_ms
        self.resend_ms = resend_ms
        self.round = 0
        self.proposal = (0, 0, my_id)  # (epoch, zxid, leader)
        self.mine = (0, 0, my_id)
        self.recv: dict[int, Vote] = {}
        self.out_of_election: dict[int, Vote] = {}
        self.out: list[tuple[int, Vote]] = []
        self.decided: int | None = None
        self.decide_at: int | None = None
        self.resend_at = 0

    def quorum(self, count: int) -> bool:
        return 2 * count > len(self.voters)

    def vote(self, state: int = LOOKING) -> Vote:
        epoch, zxid, leader = self.proposal
        if self.observer:
            return Vote(-1, 0, 0, self.round, OBSERVING)
        return Vote(leader, zxid, epoch, self.round, state)

    def start(self, now: int, epoch: int, zxid: int) -> None:
        self.round += 1
        self.mine = self.proposal = (epoch, zxid, self.my_id)
        self.recv = {}
        self.out_of_election = {}
        self.decided = None
        self.decide_at = None
        self._broadcast(now)

    def _broadcast(self, now: int) -> None:
        v = self.vote()
        self.out.extend((p, v) for p in sorted(self.peers))
        if not self.observer:
            self.recv[self.my_id] = v
        self.resend_at = now + self.resend_ms

    def tick(self, now: int) -> None:
        if self.decided is not None:
            return
        if self.decide_at is not None and now >= self.decide_at:
            self.decided = self.proposal[2]
            return
        if now >= self.resend_at:
            self._broadcast(now)

    def receive(self, sender: int, v: Vote, now: int) -> None:
        if self.decided is not None:
            return
        if v.state == OBSERVING or sender not in self.voters:
            if not self.observer:
                self.out.append((sender, self.vote()))
            return
        if v.state == LOOKING:
            self._looking_vote(sender, v, now)
        else:
            self._settled_vote(sender, v)

    def _looking_vote(self, sender: int, v: Vote, now: int) -> None:
        if self.observer:
            return
        theirs = (v.epoch, v.zxid, v.leader)
        if v.round > self.round:
            self.round = v.round
            self.recv = {}
            self.proposal = max(theirs, self.mine)
            self.decide_at = None
            self._broadcast(now)
        elif v.round < self.round:
            self.out.append((sender, self.vote()))
            return
        elif theirs > self.proposal:
            self.proposal = theirs
            self.decide_at = None
            self._broadcast(now)
        self.recv[sender] = v
        backing = sum(
            1 for s, x in self.recv.items()
            if s in self.voters and (x.epoch, x.zxid, x.leader) == self.proposal
        )  # fmt: skip
        if self.quorum(backing):
            if self.decide_at is None:
                self.decide_at = now + self.finalize_ms
        else:
            self.decide_at = None

    def _settled_vote(self, sender: int, v: Vote) -> None:
        self.out_of_election[sender] = v
        leader = v.leader
        backing = sum(
            1 for s, x in self.out_of_election.items() if s in self.voters and x.leader == leader
        )
        claim = self.out_of_election.get(leader)
        if self.quorum(backing) and claim is not None and claim.state == LEADING:
            self.round = max(self.round, v.round)
            self.proposal = (v.epoch, v.zxid, leader)
            self.decided = leader
