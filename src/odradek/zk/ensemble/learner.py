"""The learner role of Zab (follower or observer), sans-IO.

Discovery: send FOLLOWERINFO (accepted epoch, last zxid); on NEWEPOCH accept the epoch (never
a smaller one) and send ACKEPOCH. Synchronisation: DIFF, TRUNC or SNAP, then the leader's
proposals and commits, then NEWLEADER: adopt the epoch, ack once everything is fsynced, serve
after UPTODATE. Broadcast: log each proposal (ack after fsync), apply commits in zxid order;
observers get INFORM (txn already committed). Any gap, a silent leader (``syncLimit`` ticks,
``initLimit`` while syncing) or a stale epoch sends the peer back to LOOKING.
"""

from __future__ import annotations

from odradek.zk.ensemble.actions import LoadSnap, LogTxn, RoleChange, SyncReady, Truncate
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
    Snap,
    SyncDone,
    SyncReq,
    Trunc,
    UpToDate,
)
from odradek.zk.ensemble.peer import Peer, Role

DISCOVERY, SYNC, BROADCAST = 0, 1, 2


class Learner(Role):
    def __init__(self, peer: Peer, leader: int, now: int) -> None:
        self.peer = peer
        self.leader = leader
        self.epoch = -1
        self.phase = DISCOVERY
        self.heard_at = now
        self.ack_newleader = False
        self.touched: dict[int, int] = {}
        peer.send(leader, 0, FollowerInfo(peer.accepted_epoch, peer.last_logged, peer.observer))

    # ------------------------------------------------------------ client side
    def forward(self, req: Request) -> bool:
        if self.phase != BROADCAST:
            return False
        self.peer.send(self.leader, self.epoch, req)
        return True

    def sync(self, token: int) -> bool:
        if self.phase != BROADCAST:
            return False
        self.peer.send(self.leader, self.epoch, SyncReq(token))
        return True

    def touch(self, session_id: int, timeout: int) -> None:
        self.touched[session_id] = timeout

    @property
    def serving(self) -> bool:
        return self.phase == BROADCAST

    # ------------------------------------------------------------ events
    def link_lost(self, other: int, now: int) -> None:
        # before LEADERINFO nothing of this leader's stream can be missing (a restarted leader
        # numbers its frames from 0 again): only a gap after it means lost messages
        if other == self.leader and self.epoch >= 0:
            self.peer.go_looking(now)

    def tick(self, now: int) -> None:
        cfg = self.peer.cfg
        limit = (cfg.sync_limit if self.phase == BROADCAST else cfg.init_limit) * cfg.tick_ms
        if now - self.heard_at > limit:
            self.peer.go_looking(now)

    def logged(self, zxid: int) -> None:
        p = self.peer
        if self.ack_newleader and p.synced >= p.last_logged:
            self.ack_newleader = False
            p.send(self.leader, self.epoch, AckNewLeader(p.last_logged))
        elif self.phase == BROADCAST and not p.observer:
            p.send(self.leader, self.epoch, Ack(zxid))

    def receive(self, sender: int, epoch: int, msg: Message, now: int) -> None:
        if sender != self.leader:
            return
        if isinstance(msg, LeaderInfo):
            self.heard_at = now
            self._leader_info(msg, now)
            return
        if epoch != self.epoch or self.phase == DISCOVERY:
            return
        self.heard_at = now
        if not self._handle(msg):
            self.peer.go_looking(now)

    def _leader_info(self, msg: LeaderInfo, now: int) -> None:
        p = self.peer
        if msg.epoch < p.accepted_epoch or (self.phase != DISCOVERY and msg.epoch != self.epoch):
            p.go_looking(now)
            return
        if msg.epoch > p.accepted_epoch:
            p.accepted_epoch = msg.epoch
            p.save_epochs()
        self.epoch, self.phase = msg.epoch, SYNC
        p.send(self.leader, self.epoch, AckEpoch(p.current_epoch, p.last_logged))

    def _handle(self, msg: Message) -> bool:
        """Apply one leader message; False on a protocol anomaly."""
        p = self.peer
        if isinstance(msg, Proposal):
            return self._proposal(msg)
        if isinstance(msg, Commit):
            return p.commit_pending(msg.zxid)
        if isinstance(msg, Inform):
            if msg.txn.zxid <= p.last_committed:
                return True
            p.out.append(LogTxn(msg.txn))
            p.last_logged = msg.txn.zxid
            p.commit(msg.txn)
            return True
        if isinstance(msg, Ping):
            p.send(self.leader, self.epoch, Ping(tuple(sorted(self.touched.items()))))
            self.touched.clear()
            return True
        if isinstance(msg, SyncDone):
            p.out.append(SyncReady(msg.token))
            return True
        if self.phase == BROADCAST:
            return False  # sync messages after UPTODATE
        return self._sync(msg)

    def _proposal(self, msg: Proposal) -> bool:
        p, z = self.peer, msg.txn.zxid
        if self.phase == BROADCAST:
            same = p.last_logged >> 32 == self.epoch
            expected = p.last_logged + 1 if same else self.epoch << 32 | 1
            if z != expected:
                return False
        elif z <= p.last_logged:
            return False
        p.out.append(LogTxn(msg.txn))
        p.pending.append(msg.txn)
        p.last_logged = z
        return True

    def _sync(self, msg: Message) -> bool:
        p = self.peer
        if isinstance(msg, Diff):
            return p.commit_pending(msg.zxid) or msg.zxid == p.last_committed
        if isinstance(msg, Trunc):
            p.out.append(Truncate(msg.zxid))
            p.reset_history(msg.zxid)
            return True
        if isinstance(msg, Snap):
            p.out.append(LoadSnap(msg.zxid, msg.data))
            p.reset_history(msg.zxid)
            return True
        if isinstance(msg, NewLeader):
            p.current_epoch = self.epoch
            p.save_epochs()
            if p.synced >= p.last_logged:
                p.send(self.leader, self.epoch, AckNewLeader(p.last_logged))
            else:
                self.ack_newleader = True
            return True
        if isinstance(msg, UpToDate):
            self.phase = BROADCAST
            p.out.append(RoleChange(p.state, self.leader))
            if not p.observer and p.synced > 0:
                p.send(self.leader, self.epoch, Ack(p.synced))
            return True
        return False
