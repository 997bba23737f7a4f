"""A deterministic ensemble harness: quorum peers on a virtual clock and a simulated network.

The network keeps each (sender, receiver) channel FIFO, delays, drops (a dropped message is a
gap the receiver notices by sequence number, like a broken connection) and partitions. A
server's disk holds its epochs and txn log; a crash loses everything else, a restart replays
the log. Writes go to random servers (learners forward them). ``acked`` holds every txn
applied by a serving server, i.e. one a client got an answer for.

Session clients (:class:`Client`) model ZooKeeper's client rules on top of the quorum peers:
each is connected to one serving server (it may only connect to a server that has applied at
least the newest zxid it has seen, and loses its connection when that server stops serving,
changes role or crashes), has one request in flight, and reads, writes (answered when its own
server applies the txn) or syncs then reads. Every answer is checked: a read returns a
committed state, never older than what the session saw or wrote (monotonic zxids,
read-your-writes), a write gets a zxid above everything the session saw, and a read after
``sync`` sees every txn committed before the sync was sent.
"""

from __future__ import annotations

import heapq
import pickle
import random
from dataclasses import dataclass, field

from odradek.zk.codes import Op
from odradek.zk.ensemble import actions as A
from odradek.zk.ensemble.leader import Leader
from odradek.zk.ensemble.learner import Learner
from odradek.zk.ensemble.messages import LEADING, Message, Request, Snap
from odradek.zk.ensemble.peer import Peer, PeerConfig
from odradek.zk.txn import SetDataTxn, Txn


@dataclass
class Disk:
    accepted: int = 0
    current: int = 0
    log: list[Txn] = field(default_factory=list)


class Node:
    def __init__(self, sid: int, cfg: PeerConfig, disk: Disk, now: int) -> None:
        self.sid = sid
        self.disk = disk
        last = disk.log[-1].zxid if disk.log else 0
        self.peer = Peer(cfg, disk.accepted, disk.current, last)
        self.applied: list[Txn] = list(disk.log)  # restore replays the whole log
        self.generation = 0  # role changes: each one drops the server's clients

    @property
    def zxid(self) -> int:
        return self.applied[-1].zxid if self.applied else 0


@dataclass
class Client:
    cid: int
    node: Node | None = None  # the server it is connected to
    generation: int = 0  # the server's generation when it connected
    seen: int = 0  # newest zxid the session has seen (reads, its own answered writes)
    op: tuple[str, int] | None = None  # ("write", write id) or ("sync", newest committed)


class Sim:
    def __init__(
        self, seed: int, n: int = 3, observers: int = 0, drop: float = 0.005, clients: int = 4
    ) -> None:
        self.rng = random.Random(seed)
        self.now = 0
        self.drop = drop
        ids = list(range(1, n + observers + 1))
        self.voters = frozenset(ids[:n])
        self.cfgs = {
            i: PeerConfig(i, self.voters, frozenset(ids[n:]), tick_ms=100, init_limit=10,
                          sync_limit=5, max_log=50, finalize_ms=50)
            for i in ids
        }  # fmt: skip
        self.disks = {i: Disk() for i in ids}
        self.nodes: dict[int, Node | None] = {}
        self.queue: list[tuple[int, int, int, int, int, int, Message]] = []
        self.qseq = 0
        self.chan_time: dict[tuple[int, int], int] = {}
        self.send_seq: dict[tuple[int, int], int] = {}
        self.recv_seq: dict[tuple[int, int], int] = {}
        self.group: dict[int, int] = dict.fromkeys(ids, 0)
        self.acked: dict[int, Txn] = {}
        self.committed: dict[int, Txn] = {}
        self.writes = 0
        self.submitted: dict[int, int] = {}  # write id -> time the client sent it
        self.answered: dict[int, tuple[int, int]] = {}  # write id -> (time, zxid)
        self.clients = [Client(c) for c in range(clients)]
        self.owner: dict[int, Client] = {}  # write id -> the session that sent it
        self.syncs: dict[tuple[int, int], Client] = {}  # (server, token) -> session
        self.next_token = 1
        self.newest_committed = 0
        self.checked = dict.fromkeys(["read", "write", "sync", "leader read", "learner read"], 0)
        self.read_states: dict[int, Txn] = {}  # zxid -> the txn a read's state ended with
        for i in ids:
            self.restart(i)

    # ------------------------------------------------------------ servers
    def restart(self, sid: int) -> None:
        node = Node(sid, self.cfgs[sid], self.disks[sid], self.now)
        self.nodes[sid] = node
        for key in [k for k in self.send_seq if k[0] == sid]:
            del self.send_seq[key]  # a new incarnation numbers its messages from 0
        node.peer.start(self.now)
        self.drain(node)

    def crash(self, sid: int) -> None:
        self.nodes[sid] = None

    def live(self) -> list[Node]:
        return [n for n in self.nodes.values() if n is not None]

    def leader(self) -> Node | None:
        for n in self.live():
            if n.peer.state == LEADING and n.peer.serving:
                return n
        return None

    # ------------------------------------------------------------ network
    def send(self, src: int, dst: int, epoch: int, msg: Message) -> None:
        seq = self.send_seq.get((src, dst), 0)
        self.send_seq[(src, dst)] = seq + 1
        if self.group[src] != self.group[dst] or self.rng.random() < self.drop:
            return
        at = max(self.chan_time.get((src, dst), 0), self.now + self.rng.randint(1, 30))
        self.chan_time[(src, dst)] = at
        self.qseq += 1
        heapq.heappush(self.queue, (at, self.qseq, dst, src, seq, epoch, msg))

    def deliver_due(self) -> None:
        while self.queue and self.queue[0][0] <= self.now:
            _at, _q, dst, src, seq, epoch, msg = heapq.heappop(self.queue)
            node = self.nodes.get(dst)
            if node is None:
                continue
            expected = self.recv_seq.get((src, dst), 0)
            self.recv_seq[(src, dst)] = seq + 1
            if seq != expected:
                node.peer.link_lost(src, self.now)
            node.peer.receive(src, epoch, msg, self.now)
            self.drain(node)

    # ------------------------------------------------------------ driver
    def drain(self, node: Node) -> None:
        peer = node.peer
        while peer.out:
            out, peer.out = peer.out, []
            logged = 0
            for act in out:
                logged = max(logged, self.execute(node, act))
            if logged:
                peer.logged(logged)

    def execute(self, node: Node, act: A.Action) -> int:
        disk, peer = node.disk, node.peer
        if isinstance(act, A.Send):
            self.send(node.sid, act.to, act.epoch, act.msg)
        elif isinstance(act, A.LogTxn):
            assert not disk.log or act.txn.zxid > disk.log[-1].zxid, "log out of order"
            disk.log.append(act.txn)
            return act.txn.zxid
        elif isinstance(act, A.ApplyTxn):
            self.apply(node, act.txn)
        elif isinstance(act, A.SendSnap):
            last = node.applied[-1].zxid if node.applied else 0
            self.send(node.sid, act.to, act.epoch, Snap(last, pickle.dumps(node.applied)))
        elif isinstance(act, A.LoadSnap):
            node.applied = pickle.loads(act.data)
            disk.log = list(node.applied)
        elif isinstance(act, A.Truncate):
            disk.log = [t for t in disk.log if t.zxid <= act.zxid]
            node.applied = list(disk.log)
        elif isinstance(act, A.SaveEpochs):
            disk.accepted, disk.current = act.accepted, act.current
        elif isinstance(act, A.Forwarded) and isinstance(peer.role, Leader):
            self.propose(peer.role, act.request.cxid)
        elif isinstance(act, A.RoleChange):
            node.generation += 1
        elif isinstance(act, A.SyncReady):
            self.sync_ready(node, act.token)
        return 0

    def apply(self, node: Node, txn: Txn) -> None:
        if node.applied:
            assert txn.zxid > node.applied[-1].zxid, "applied out of zxid order"
        node.applied.append(txn)
        seen = self.committed.setdefault(txn.zxid, txn)
        assert seen == txn, f"two txns committed as zxid {txn.zxid:#x}"
        if node.peer.serving:  # a new leader applies its history before it is established
            self.newest_committed = max(self.newest_committed, txn.zxid)
            self.acked[txn.zxid] = txn
            self.answered.setdefault(txn.cxid, (self.now, txn.zxid))
        c = self.owner.get(txn.cxid)
        if c is not None and c.op == ("write", txn.cxid) and self.attached(c, node):
            assert txn.zxid > c.seen, f"client {c.cid}: write {txn.zxid:#x} not after {c.seen:#x}"
            c.seen, c.op = txn.zxid, None
            self.checked["write"] += 1

    def propose(self, leader: Leader, write_id: int) -> None:
        zxid = leader.next_zxid()
        rec = SetDataTxn("/k", str(write_id).encode(), 0)
        leader.propose(Txn(0, write_id, zxid, self.now, Op.SET_DATA, rec))

    def client_write(self) -> None:
        live = [n for n in self.live() if n.peer.serving]
        if not live:
            return
        node = self.rng.choice(live)
        self.writes += 1
        self.submitted[self.writes] = self.now
        self.submit(node, self.writes)

    # ------------------------------------------------------------ session clients
    def attached(self, c: Client, node: Node | None = None) -> bool:
        n = c.node
        return (
            n is not None and (node is None or n is node) and self.nodes.get(n.sid) is n
            and n.generation == c.generation and n.peer.serving
        )  # fmt: skip

    def client_step(self, c: Client) -> None:
        if not self.attached(c):
            c.node, c.op = None, None  # connection lost: an op in flight has no answer
            fresh = [n for n in self.live() if n.peer.serving and n.zxid >= c.seen]
            if fresh:
                c.node = self.rng.choice(fresh)
                c.generation = c.node.generation
            return
        if c.op is not None:
            return
        node = c.node
        assert node is not None
        r = self.rng.random()
        if r < 0.5:
            self.read(c, node, 0)
        elif r < 0.75:
            self.writes += 1
            wid = self.writes
            self.submitted[wid] = self.now
            self.owner[wid] = c
            c.op = ("write", wid)
            self.submit(node, wid)
        else:
            c.op = ("sync", self.newest_committed)
            token, self.next_token = self.next_token, self.next_token + 1
            self.syncs[(node.sid, token)] = c
            role = node.peer.role
            if isinstance(role, Leader):
                role.sync(-1, token)
            elif isinstance(role, Learner) and not role.sync(token):
                c.node = None
            self.drain(node)

    def sync_ready(self, node: Node, token: int) -> None:
        c = self.syncs.pop((node.sid, token), None)
        if c is not None and c.op is not None and c.op[0] == "sync" and self.attached(c, node):
            self.read(c, node, c.op[1])
            c.op = None
            self.checked["sync"] += 1

    def read(self, c: Client, node: Node, need: int) -> None:
        """Serve a read from the server's applied state and check it."""
        zxid = node.zxid
        if zxid:
            self.read_states[zxid] = node.applied[-1]  # checked against the final history
        assert zxid >= c.seen, f"client {c.cid} read {zxid:#x} after seeing {c.seen:#x}"
        assert zxid >= need, f"client {c.cid} read {zxid:#x} after a sync, {need:#x} committed"
        c.seen = zxid
        self.checked["read"] += 1
        where = "leader read" if isinstance(node.peer.role, Leader) else "learner read"
        self.checked[where] += 1

    def submit(self, node: Node, wid: int) -> None:
        role = node.peer.role
        if isinstance(role, Leader):
            self.propose(role, wid)
        elif isinstance(role, Learner):
            role.forward(Request(0, wid, Op.SET_DATA, b""))
        self.drain(node)

    def check_reads_committed(self, final: list[Txn]) -> None:
        """Every state a client read is a prefix of the history all servers converged on
        (a txn recovered from a log only counts once an established leader kept it)."""
        history = {t.zxid: t for t in final}
        for zxid, txn in self.read_states.items():
            assert history.get(zxid) == txn, f"a client read {zxid:#x}, which was never committed"

    def check_real_time_order(self) -> None:
        """Writes are linearizable: one answered before another was sent commits first."""
        answers = sorted(self.answered.values())
        newest, i = 0, 0
        for wid, sent in sorted(self.submitted.items(), key=lambda kv: kv[1]):
            while i < len(answers) and answers[i][0] < sent:
                newest = max(newest, answers[i][1])
                i += 1
            if wid in self.answered:
                assert self.answered[wid][1] > newest, f"write {wid} ordered before an older one"

    # ------------------------------------------------------------ time
    def step(self, ms: int = 10) -> None:
        self.now += ms
        self.deliver_due()
        for node in self.live():
            node.peer.tick(self.now)
            self.drain(node)

    def run(self, ms: int, write_every: int = 0, faults: bool = False) -> None:
        end = self.now + ms
        while self.now < end:
            self.step()
            if write_every and self.rng.random() < 10 / write_every:
                self.client_write()
            if write_every:
                for c in self.clients:
                    if self.rng.random() < 10 / write_every:
                        self.client_step(c)
            if faults:
                self.fault()

    def fault(self) -> None:
        r = self.rng.random()
        ids = sorted(self.nodes)
        if r < 0.002:
            self.crash(self.rng.choice(ids))
        elif r < 0.006:
            for sid in ids:
                if self.nodes[sid] is None:
                    self.restart(sid)
        elif r < 0.007:
            self.group[self.rng.choice(ids)] = 1  # isolate one server
        elif r < 0.010:
            self.group = dict.fromkeys(ids, 0)

    def heal(self) -> None:
        self.drop = 0.0
        self.group = dict.fromkeys(self.group, 0)
        for sid, node in list(self.nodes.items()):
            if node is None:
                self.restart(sid)
