"""The leader role of Zab, sans-IO.

Discovery: collect FOLLOWERINFO from a quorum (counting itself), pick the new epoch as one more
than every accepted epoch seen, send NEWEPOCH. Synchronisation, per learner on ACKEPOCH: DIFF
(the learner's last zxid is in the kept history), TRUNC (the learner holds txns this history
does not: roll back to the newest common zxid, then DIFF) or SNAP, followed by the proposals and
commits it lacks, the outstanding proposals, then NEWLEADER. Once a quorum acked NEWLEADER the
epoch is established (``current_epoch`` saved) and UPTODATE goes out. Broadcast: a proposal is
logged here and sent to followers; an ack for zxid z acks everything up to z; proposals commit
in zxid order once a quorum (the leader's own fsync included) acked; observers get INFORM. The
leader steps down when it has not heard from a quorum within ``syncLimit`` ticks.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from odradek.zk.ensemble.actions import (
    Forwarded,
    LogTxn,
    RoleChange,
    SendSnap,
    SyncReady,
    Touch,
)
from odradek.zk.ensemble.messages import (
    Ack,
    AckEpoch,
    AckNewLeader,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    Message,
    NewLeader,
    Ping,
    Proposal,
    Request,
    SyncDone,
    SyncReq,
    Trunc,
    UpToDate,
)
from odradek.zk.ensemble.peer import Peer, Role
from odradek.zk.txn import Txn

DISCOVERY, SYNC, BROADCAST = 0, 1, 2


@dataclass(slots=True)
class LearnerHandle:
    observer: bool
    heard_at: int
    phase: int = DISCOVERY
    sync_upto: int = 0


@dataclass(slots=True)
class Outstanding:
    txn: Txn
    acks: set[int] = field(default_factory=set)


class Leader(Role):
    def __init__(self, peer: Peer, now: int) -> None:
        self.peer = peer
        self.started = now
        self.epoch = -1
        self.established = False
        self.infos: dict[int, int] = {peer.my_id: peer.accepted_epoch}
        self.learners: dict[int, LearnerHandle] = {}
        self.newleader_acks: set[int] = {peer.my_id}
        self.outstanding: dict[int, Outstanding] = {}
        self.counter = 0
        self.barriers: list[tuple[int, int, int]] = []  # (zxid, learner or -1, token)
        self.next_ping = now
        # the whole logged history of the new leader becomes committed
        peer.commit_pending(peer.last_logged)
        self._maybe_choose_epoch()

    @property
    def serving(self) -> bool:
        return self.established

    def stop(self) -> None:
        """Stepping down: logged proposals stay in the history as uncommitted txns."""
        self.peer.pending = [o.txn for o in self.outstanding.values()]

    def link_lost(self, other: int, now: int) -> None:
        self.learners.pop(other, None)
        if self.epoch < 0:
            self.infos.pop(other, None)
        if not self.established:
            self.newleader_acks.discard(other)

    # ------------------------------------------------------------ local clients
    def next_zxid(self) -> int:
        self.counter += 1
        return self.epoch << 32 | self.counter

    def propose(self, txn: Txn) -> None:
        p = self.peer
        self.outstanding[txn.zxid] = Outstanding(txn)
        p.out.append(LogTxn(txn))
        p.last_logged = txn.zxid
        for sid, h in self.learners.items():
            if h.phase != DISCOVERY and not h.observer:
                p.send(sid, self.epoch, Proposal(txn))

    def sync(self, learner: int, token: int) -> None:
        if self.outstanding:
            self.barriers.append((next(reversed(self.outstanding)), learner, token))
        else:
            self._release(learner, token)

    def _release(self, learner: int, token: int) -> None:
        if learner < 0:
            self.peer.out.append(SyncReady(token))
        else:
            self.peer.send(learner, self.epoch, SyncDone(token))

    # ------------------------------------------------------------ discovery
    def _maybe_choose_epoch(self) -> None:
        p = self.peer
        if self.epoch >= 0 or not p.quorum(set(self.infos)):
            return
        self.epoch = max(self.infos.values()) + 1
        p.accepted_epoch = self.epoch
        p.save_epochs()
        for sid, h in self.learners.items():
            p.send(sid, self.epoch, LeaderInfo(self.epoch))
            h.phase = DISCOVERY

    def receive(self, sender: int, epoch: int, msg: Message, now: int) -> None:
        if isinstance(msg, FollowerInfo):
            if 0 <= self.epoch < msg.accepted_epoch:
                # it promised a leader of a later epoch (one that never established) not to
                # follow an older one, so it can never join us: step down, and the next
                # election picks an epoch above every accepted one
                self.peer.go_looking(now)
                return
            self.learners[sender] = LearnerHandle(msg.observer, now)
            if self.epoch >= 0:
                self.peer.send(sender, self.epoch, LeaderInfo(self.epoch))
            elif not msg.observer:
                self.infos[sender] = msg.accepted_epoch
                self._maybe_choose_epoch()
            return
        h = self.learners.get(sender)
        if h is None or epoch != self.epoch:
            return
        h.heard_at = now
        if isinstance(msg, AckEpoch):
            p = self.peer
            ahead = (msg.current_epoch, msg.last_zxid) > (p.current_epoch, p.last_logged)
            if ahead and not self.established:
                p.go_looking(now)  # a learner of the electing quorum knows more: elect again
                return  # (once established, a learner ahead only holds uncommitted txns)
            self._sync_learner(sender, h, msg.last_zxid)
        elif isinstance(msg, AckNewLeader):
            self._ack_newleader(sender, h, msg.zxid)
        elif isinstance(msg, Ack) and not h.observer and h.phase != DISCOVERY:
            self._ack(sender, msg.zxid)
        elif isinstance(msg, Ping):
            if msg.sessions:
                self.peer.out.append(Touch(msg.sessions))
        elif isinstance(msg, Request) and self.established:
            self.peer.out.append(Forwarded(sender, msg))
        elif isinstance(msg, SyncReq) and self.established:
            self.sync(sender, msg.token)

    # ------------------------------------------------------------ synchronisation
    def _sync_learner(self, sid: int, h: LearnerHandle, zxid: int) -> None:
        p, e = self.peer, self.epoch
        zs = p.history_zxids
        start = -1
        if zxid == p.last_committed:
            p.send(sid, e, Diff(zxid))
            start = len(zs)
        elif zxid >= p.floor:
            i = bisect.bisect_right(zs, zxid)
            common = zs[i - 1] if i > 0 else p.floor
            p.send(sid, e, Diff(zxid) if common == zxid else Trunc(common))
            start = i
        else:
            p.out.append(SendSnap(sid, e))
        if start >= 0:
            for txn in p.history[start:]:
                p.send(sid, e, Proposal(txn))
                p.send(sid, e, Commit(txn.zxid))
        if not h.observer:
            for o in self.outstanding.values():
                p.send(sid, e, Proposal(o.txn))
        h.sync_upto = next(reversed(self.outstanding), 0) if self.outstanding else 0
        h.phase = SYNC
        p.send(sid, e, NewLeader(e << 32))

    def _ack_newleader(self, sid: int, h: LearnerHandle, zxid: int) -> None:
        if h.phase != SYNC:
            return
        if self.established:
            self._up_to_date(sid, h)
            if not h.observer:
                self._ack(sid, min(zxid, h.sync_upto))
            return
        if h.observer:
            return
        self.newleader_acks.add(sid)
        if self.peer.quorum(self.newleader_acks):
            self.established = True
            p = self.peer
            p.current_epoch = self.epoch
            p.save_epochs()
            p.out.append(RoleChange(p.state, p.my_id))
            for s, other in self.learners.items():
                if other.phase == SYNC and (s in self.newleader_acks or other.observer):
                    self._up_to_date(s, other)

    def _up_to_date(self, sid: int, h: LearnerHandle) -> None:
        h.phase = BROADCAST
        self.peer.send(sid, self.epoch, UpToDate())

    # ------------------------------------------------------------ broadcast
    def logged(self, zxid: int) -> None:
        self._ack(self.peer.my_id, zxid)

    def _ack(self, sid: int, zxid: int) -> None:
        for z, o in self.outstanding.items():
            if z > zxid:
                break
            o.acks.add(sid)
        self._try_commit()

    def _try_commit(self) -> None:
        p = self.peer
        while self.outstanding:
            z, o = next(iter(self.outstanding.items()))
            if not p.quorum(o.acks):
                return
            del self.outstanding[z]
            p.commit(o.txn)
            for sid, h in self.learners.items():
                if h.phase == DISCOVERY:
                    continue
                p.send(sid, self.epoch, Inform(o.txn) if h.observer else Commit(z))
            while self.barriers and self.barriers[0][0] <= z:
                _z, learner, token = self.barriers.pop(0)
                self._release(learner, token)

    # ------------------------------------------------------------ time
    def tick(self, now: int) -> None:
        p, cfg = self.peer, self.peer.cfg
        if now >= self.next_ping:
            self.next_ping = now + max(1, cfg.tick_ms // 2)
            for sid, h in self.learners.items():
                if h.phase != DISCOVERY:
                    p.send(sid, self.epoch, Ping())
        if not self.established:
            if now - self.started > cfg.init_limit * cfg.tick_ms:
                p.go_looking(now)
            return
        limit = cfg.sync_limit * cfg.tick_ms
        for sid in [s for s, h in self.learners.items() if now - h.heard_at > limit]:
            del self.learners[sid]
        alive = {s for s, h in self.learners.items() if h.phase == BROADCAST} | {p.my_id}
        if not p.quorum(alive):
            p.go_looking(now)
            return
