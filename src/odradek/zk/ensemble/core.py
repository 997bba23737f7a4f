"""The client side of an ensemble member (sans-IO): ZkCore with writes going through Zab.

Writes (and session creation/close) are turned into txns by the leader (``Processor.prep``
against its outstanding overlay) and proposed; a learner forwards them as
:class:`~odradek.zk.ensemble.messages.Request`. Every member applies committed txns in zxid
order (:meth:`apply_committed`, through ``DataTree.apply``) and answers the requests of its
own connections then. Replies keep each connection's request order: a read that follows a
write still in flight waits for it. ``sync`` waits for a barrier through the leader. Only the
leader expires sessions (learners report the sessions they see in their pings); a server that
is not serving (electing, syncing) accepts no connection and drops the ones it had, unless
read-only mode is enabled: after looking for a leader for a while it serves read-only clients
(:mod:`~odradek.zk.ensemble.readonly`) until the next election ends.
"""

from __future__ import annotations

from collections import deque

from odradek.zk import acl as aclmod
from odradek.zk import replies
from odradek.zk.codes import WRITE_OPS, Err, Op
from odradek.zk.core import Conn, CoreConfig, ZkCore
from odradek.zk.ensemble.leader import Leader
from odradek.zk.ensemble.learner import Learner
from odradek.zk.ensemble.messages import LOOKING, Request
from odradek.zk.ensemble.peer import Peer
from odradek.zk.ensemble.readonly import ReadOnlyMode, start_delay
from odradek.zk.jute import JuteError, Reader, Writer
from odradek.zk.processor import Processor
from odradek.zk.tree import DataTree, TxnResult
from odradek.zk.txn import CreateSessionTxn, DeleteTxn, ErrorTxn, Txn

Key = tuple[int, int]  # (session id, cxid)


class EnsembleCore(ZkCore):
    def __init__(
        self, config: CoreConfig, tree: DataTree, now: int, peer: Peer, read_only: bool = False
    ) -> None:
        super().__init__(config, tree, now)
        self.peer = peer
        self.read_only_enabled = read_only
        self.ro: ReadOnlyMode | None = None
        self.ro_at: int | None = None  # when read-only mode starts if still looking
        self.waiting: dict[Key, tuple[int, int]] = {}  # -> (conn id, op)
        self.queues: dict[int, deque[tuple[int, int, int, bytes]]] = {}
        self.connecting: dict[int, tuple[int, int]] = {}  # session id -> (conn id, timeout)
        self.next_token = 1

    # ------------------------------------------------------------ roles
    @property
    def serving(self) -> bool:
        return self.peer.serving

    @property
    def read_only(self) -> bool:
        return self.ro is not None

    def role_changed(self, now: int) -> None:
        """Leaving or entering service: drop every client, forget what was in flight."""
        for conn_id in list(self.conns):
            self._close(conn_id)
        self.waiting.clear()
        self.queues.clear()
        self.connecting.clear()
        self.processor = Processor(self.tree)
        self.ro = None
        self.ro_at = None
        if self.read_only_enabled and self.peer.state == LOOKING:
            self.ro_at = now + start_delay(self.config.tick_ms)
        if isinstance(self.peer.role, Leader) and self.peer.serving:
            for sid, s in list(self.sessions.sessions.items()):
                s.closing = False
                self.sessions.touch(sid, now)

    def install_tree(self, tree: DataTree, now: int) -> None:
        self.tree = tree
        tree.watches.deliver = self._deliver
        self.processor = Processor(tree)
        self.zxid = tree.last_zxid
        self.sessions.sessions.clear()
        self.sessions.buckets.clear()
        for sid, timeout in tree.sessions.items():
            self.sessions.add(sid, timeout, now)

    # ------------------------------------------------------------ submitting txns
    def _submit(self, sid: int, cxid: int, op: int, payload: bytes, auth: list[tuple[str, str]],
                now: int) -> bool:  # fmt: skip
        role = self.peer.role
        if isinstance(role, Leader) and role.established:
            self.propose(sid, cxid, op, payload, auth, now)
            return True
        if isinstance(role, Learner):
            return role.forward(Request(sid, cxid, op, payload, tuple(auth)))
        return False

    def propose(self, sid: int, cxid: int, op: int, payload: bytes,
                auth: list[tuple[str, str]], now: int) -> None:  # fmt: skip
        """Leader: turn a (local or forwarded) request into a txn and propose it."""
        role = self.peer.role
        assert isinstance(role, Leader)
        zxid = role.next_zxid()
        if op == Op.CREATE_SESSION:
            txn = Txn(sid, cxid, zxid, now, op, CreateSessionTxn(Reader(payload).int()))
        else:
            try:
                txn = self.processor.prep(op, Reader(payload), sid, cxid, zxid, now, list(auth))
            except JuteError:
                txn = Txn(sid, cxid, zxid, now, Op.ERROR, ErrorTxn(Err.MARSHALLINGERROR))
        if txn.type == Op.CLOSE_SESSION:
            self.sessions.set_closing(sid)
        role.propose(txn)

    def commit(self, txn: Txn) -> TxnResult:
        """Container reaping and expiry (leader only) propose instead of applying."""
        role = self.peer.role
        if not (isinstance(role, Leader) and role.established):
            return TxnResult(txn.type)
        zxid = role.next_zxid()
        if isinstance(txn.record, DeleteTxn):  # a container or TTL node: check the overlay
            payload = Writer().ustring(txn.record.path).getvalue()
            real = self.processor.prep(
                Op.DELETE_CONTAINER, Reader(payload), 0, 0, zxid, txn.time, [aclmod.SUPER]
            )
        else:
            real = Txn(txn.session_id, txn.cxid, zxid, txn.time, txn.type, txn.record)
        role.propose(real)
        return TxnResult(txn.type)

    def _next_zxid(self) -> int:
        return self.zxid  # the leader numbers txns when it proposes them

    # ------------------------------------------------------------ applying
    def apply_committed(self, txn: Txn, now: int) -> None:
        self.zxid = max(self.zxid, txn.zxid)
        result = self.tree.apply(txn)
        self.processor.applied(txn.zxid)
        sid = txn.session_id
        if txn.type == Op.CREATE_SESSION and isinstance(txn.record, CreateSessionTxn):
            self.sessions.add(sid, txn.record.timeout, now)
            pending = self.connecting.pop(sid, None)
            if pending is not None:
                self._connected(pending[0], sid, pending[1])
            return
        if txn.type == Op.CLOSE_SESSION:
            self.sessions.remove(sid)
        waiting = self.waiting.pop((sid, txn.cxid), None)
        if waiting is None:
            if txn.type == Op.CLOSE_SESSION:
                conn_id = self.session_conn.pop(sid, None)
                if conn_id is not None:
                    self._close(conn_id)
            return
        conn_id, op = waiting
        if txn.type == Op.ERROR or (result.err and op != Op.MULTI):
            self._send(conn_id, replies.header_only(txn.cxid, txn.zxid, result.err))
        else:
            body = replies.write_body(op, result)
            self._send(conn_id, replies.reply(txn.cxid, txn.zxid, 0, body))
        if op == Op.CLOSE_SESSION:
            self._close(conn_id)
        self._done(conn_id, txn.cxid)

    def sync_ready(self, token: int) -> None:
        for conn_id, q in self.queues.items():
            if q and q[0][0] == token and q[0][1] == Op.SYNC:
                self._done(conn_id, token)
                return

    def _done(self, conn_id: int, first: int) -> None:
        """The head of a connection's queue completed: run the reads queued behind it."""
        q = self.queues.get(conn_id)
        if not q or q[0][0] != first:
            return
        item = q.popleft()
        if item[1] == Op.SYNC:
            conn = self.conns.get(conn_id)
            if conn is not None:
                self._read(conn, item[2], Op.SYNC, Reader(item[3]))
        while q and q[0][1] != -1 and q[0][1] != Op.SYNC:
            _t, op, xid, payload = q.popleft()
            conn = self.conns.get(conn_id)
            if conn is not None:
                self._read(conn, xid, op, Reader(payload))
        if not q:
            del self.queues[conn_id]

    # ------------------------------------------------------------ client requests
    def _connect(self, conn: Conn, r: Reader, now: int) -> None:
        if self.ro is not None:
            self.ro.connect(conn, r, now)
            return
        if not self.serving:
            self._close(conn.id)
            return
        start = r.pos
        _proto, last_zxid, timeout, sid = r.int(), r.long(), r.int(), r.long()
        if sid != 0 or last_zxid > self.tree.last_zxid:
            r.pos = start
            super()._connect(conn, r, now)
            if conn.session_id:
                self._report(conn.session_id, conn.timeout)
            return
        cfg = self.config
        timeout = min(max(timeout, cfg.min_session_timeout), cfg.max_session_timeout)
        sid = self.sessions.new_id()
        self.connecting[sid] = (conn.id, timeout)
        if not self._submit(sid, 0, Op.CREATE_SESSION, Writer().int(timeout).getvalue(), [], now):
            self._close(conn.id)

    def _connected(self, conn_id: int, sid: int, timeout: int) -> None:
        conn = self.conns.get(conn_id)
        if conn is None:
            return
        conn.session_id, conn.timeout = sid, timeout
        self.session_conn[sid] = conn_id
        passwd = self.sessions.password(sid)
        self._send(conn_id, replies.connect_response(timeout, sid, passwd, False))

    def _report(self, sid: int, timeout: int) -> None:
        role = self.peer.role
        if isinstance(role, Learner):
            role.touch(sid, timeout)

    def _request(self, conn: Conn, r: Reader, now: int) -> None:
        if self.ro is not None:
            self.ro.request(conn, r, now)
            return
        start = r.pos
        xid, op = r.int(), r.int()
        self._report(conn.session_id, conn.timeout)
        q = self.queues.get(conn.id)
        if op == Op.SYNC or (q and op not in WRITE_OPS and op != Op.PING):
            if not self.sessions.touch(conn.session_id, now):
                self._send(conn.id, replies.header_only(xid, self.zxid, Err.SESSIONEXPIRED))
                self._close(conn.id)
                return
            self._queue_read(conn, xid, op, bytes(r.buf[r.pos : r.end]))
            return
        r.pos = start
        super()._request(conn, r, now)

    def _queue_read(self, conn: Conn, xid: int, op: int, payload: bytes) -> None:
        q = self.queues.setdefault(conn.id, deque())
        if op != Op.SYNC:
            q.append((-2, op, xid, payload))
            return
        token = self.next_token
        self.next_token += 1
        q.append((token, Op.SYNC, xid, payload))
        role = self.peer.role
        if isinstance(role, Leader):
            role.sync(-1, token)
        elif isinstance(role, Learner) and not role.sync(token):
            self._close(conn.id)

    def _write(self, conn: Conn, xid: int, op: int, r: Reader, now: int) -> None:
        if op in (Op.CREATE_SESSION, Op.DELETE_CONTAINER):
            raise JuteError(f"{Op(op).name} is not a client request")
        conn.last_cxid = xid
        sid = conn.session_id
        payload = bytes(r.buf[r.pos : r.end])
        self.waiting[(sid, xid)] = (conn.id, op)
        self.queues.setdefault(conn.id, deque()).append((xid, -1, xid, b""))
        if not self._submit(sid, xid, op, payload, conn.auth, now):
            self._close(conn.id)

    def tick(self, now: int) -> None:
        if self.ro is not None:
            self.ro.tick(now)
        elif self.ro_at is not None and now >= self.ro_at and self.peer.state == LOOKING:
            self.ro, self.ro_at = ReadOnlyMode(self, now), None
        if isinstance(self.peer.role, Leader) and self.serving:
            super().tick(now)
