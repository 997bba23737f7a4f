"""The standalone server core (sans-IO): connections, sessions, requests, txns and watches.

The edge feeds it connection events and whole frames with ``now`` (ms) and drains three queues:
``outbox`` (``(conn_id, frame)``; a ``None`` frame means "close after what was queued"),
``txns`` (to append to the txn log before any output queued after them leaves) and nothing else.
Every write becomes a txn applied at once through :meth:`commit`, the single mutation path;
watch events are queued when the txn is applied, so a client sees the event before any reply
that reflects the change. The edge holds every queued output until the txns applied before it
are fsynced. An ensemble leader would replace ``commit`` by propose/ack/commit, keeping
``Processor.outstanding`` until the commit arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

from odradek.zk import acl as aclmod
from odradek.zk import replies
from odradek.zk.codes import (
    WRITE_OPS,
    XID_AUTH,
    XID_PING,
    Err,
    EventType,
    KeeperError,
    Op,
)
from odradek.zk.jute import JuteError, Reader, Writer
from odradek.zk.processor import Processor
from odradek.zk.reads import READS, ReadContext
from odradek.zk.sessions import PASSWORD_LEN, SessionTracker
from odradek.zk.tree import DataTree, TxnResult, is_ttl_owner
from odradek.zk.txn import CloseSessionTxn, CreateSessionTxn, DeleteTxn, Txn

SUPER_DIGEST_KEY = "zookeeper.DigestAuthenticationProvider.superDigest"


@dataclass(slots=True)
class CoreConfig:
    tick_ms: int = 2000
    min_session_timeout: int = 4000
    max_session_timeout: int = 40000
    server_id: int = 0
    container_check_ms: int = 60000
    # zookeeper.DigestAuthenticationProvider.superDigest: "super:<base64 sha1>"
    super_digest: str = ""


class Conn:
    __slots__ = ("auth", "id", "ip", "last_cxid", "received", "sent", "session_id", "timeout")

    def __init__(self, conn_id: int, ip: str) -> None:
        self.id = conn_id
        self.ip = ip
        self.session_id = 0
        self.timeout = 0
        self.auth: list[aclmod.AuthId] = [("ip", ip)]
        self.received = 0
        self.sent = 0
        self.last_cxid = 0


class ZkCore:
    def __init__(self, config: CoreConfig, tree: DataTree, now: int) -> None:
        self.config = config
        self.tree = tree
        self.tree.watches.deliver = self._deliver
        self.processor = Processor(tree)
        self.sessions = SessionTracker(config.tick_ms, config.server_id, now)
        self.zxid = tree.last_zxid
        self.conns: dict[int, Conn] = {}
        self.session_conn: dict[int, int] = {}
        self.outbox: list[tuple[int, bytes | None]] = []
        self.txns: list[Txn] = []
        self.next_container_check = now + config.container_check_ms
        for sid, timeout in tree.sessions.items():  # restored: they must reconnect in time
            self.sessions.add(sid, timeout, now)

    # ------------------------------------------------------------ connections
    def open(self, conn_id: int, ip: str) -> None:
        self.conns[conn_id] = Conn(conn_id, ip)

    def lost(self, conn_id: int) -> None:
        conn = self.conns.pop(conn_id, None)
        if conn is None:
            return
        self.tree.watches.drop_watcher(conn_id)
        if conn.session_id and self.session_conn.get(conn.session_id) == conn_id:
            del self.session_conn[conn.session_id]

    def _send(self, conn_id: int, data: bytes) -> None:
        self.outbox.append((conn_id, data))

    def _close(self, conn_id: int) -> None:
        self.outbox.append((conn_id, None))

    def _deliver(self, watcher: int, event: EventType, path: str) -> None:
        self.outbox.append((watcher, replies.notification(event, path)))

    # ------------------------------------------------------------ txns
    def commit(self, txn: Txn) -> TxnResult:
        """Log and apply one txn (the only way the tree changes)."""
        self.zxid = max(self.zxid, txn.zxid)
        self.txns.append(txn)
        result = self.tree.apply(txn)
        self.processor.applied(txn.zxid)
        if txn.type == Op.CLOSE_SESSION:
            self.sessions.remove(txn.session_id)
        return result

    def _next_zxid(self) -> int:
        self.zxid += 1
        return self.zxid

    # ------------------------------------------------------------ frames
    def frame(self, conn_id: int, data: bytes | memoryview, now: int) -> None:
        conn = self.conns.get(conn_id)
        if conn is None:
            return
        conn.received += 1
        try:
            if conn.session_id == 0:
                self._connect(conn, Reader(data), now)
            else:
                self._request(conn, Reader(data), now)
        except JuteError:
            self._close(conn_id)

    def _connect(self, conn: Conn, r: Reader, now: int) -> None:
        _proto, last_zxid, timeout, sid, passwd = r.int(), r.long(), r.int(), r.long(), r.buffer()
        if r.remaining():
            r.bool()  # readOnly: optional in old clients
        if last_zxid > self.tree.last_zxid:
            self._close(conn.id)  # the client has seen a newer state: try another server
            return
        timeout = self.negotiate_timeout(timeout)
        if sid == 0:
            sid = self.sessions.new_id()
            self.sessions.add(sid, timeout, now)
            self.commit(
                Txn(sid, 0, self._next_zxid(), now, Op.CREATE_SESSION, CreateSessionTxn(timeout))
            )
        elif not self.sessions.password_matches(sid, passwd):
            self.refuse_session(conn, read_only=False)
            return
        else:
            self.sessions.add(sid, timeout, now)
        # a client asking for read-only mode gets a read-write session: we are never read-only
        self.attach_session(conn, sid, timeout, self.sessions.password(sid), read_only=False)

    def negotiate_timeout(self, requested: int) -> int:
        """The session timeout granted: the request within [minSessionTimeout, max...]."""
        cfg = self.config
        return min(max(requested, cfg.min_session_timeout), cfg.max_session_timeout)

    def refuse_session(self, conn: Conn, *, read_only: bool) -> None:
        """An unknown/expired session id or a wrong password: the zero reply, then close."""
        self._send(conn.id, replies.connect_response(0, 0, bytes(PASSWORD_LEN), read_only))
        self._close(conn.id)

    def attach_session(
        self, conn: Conn, sid: int, timeout: int, password: bytes, *, read_only: bool
    ) -> None:
        """Bind ``sid`` to ``conn`` (closing the connection it had before) and answer."""
        old = self.session_conn.get(sid)
        if old is not None and old != conn.id:
            self._close(old)
        conn.session_id, conn.timeout = sid, timeout
        self.session_conn[sid] = conn.id
        self._send(conn.id, replies.connect_response(timeout, sid, password, read_only))

    def _request(self, conn: Conn, r: Reader, now: int) -> None:
        xid, op = r.int(), r.int()
        sid = conn.session_id
        if not self.sessions.touch(sid, now):
            self._send(conn.id, replies.header_only(xid, self.zxid, Err.SESSIONEXPIRED))
            self._close(conn.id)
            return
        if op == Op.PING:
            self._send(conn.id, replies.header_only(XID_PING, self.zxid, 0))
        elif op in WRITE_OPS:
            self._write(conn, xid, op, r, now)
        elif op in READS:
            self._read(conn, xid, op, r)
        elif op == Op.AUTH:
            self._auth(conn, r)
        elif op in (Op.SET_WATCHES, Op.SET_WATCHES2):
            self._set_watches(conn, r, op == Op.SET_WATCHES2)
            self._send(conn.id, replies.header_only(xid, self.zxid, 0))
        else:
            self._send(conn.id, replies.header_only(xid, -1, Err.UNIMPLEMENTED))
            self._close(conn.id)

    def _write(self, conn: Conn, xid: int, op: int, r: Reader, now: int) -> None:
        if op in (Op.CREATE_SESSION, Op.DELETE_CONTAINER):
            raise JuteError(f"{Op(op).name} is not a client request")
        conn.last_cxid = xid
        txn = self.processor.prep(op, r, conn.session_id, xid, self._next_zxid(), now, conn.auth)
        result = self.commit(txn)
        if txn.type == Op.ERROR or (result.err and op != Op.MULTI):
            self._send(conn.id, replies.header_only(xid, txn.zxid, result.err))
            return
        self._send(conn.id, replies.reply(xid, txn.zxid, 0, replies.write_body(op, result)))
        if op == Op.CLOSE_SESSION:
            self._close(conn.id)

    def _read(self, conn: Conn, xid: int, op: int, r: Reader) -> None:
        w = Writer()
        ctx = ReadContext(self.tree, conn.id, conn.session_id, conn.auth)
        try:
            READS[op](ctx, r, w)
        except KeeperError as e:
            self._send(conn.id, replies.header_only(xid, self.tree.last_zxid, e.code))
            return
        self._send(conn.id, replies.reply(xid, self.tree.last_zxid, 0, w.out))

    def _auth(self, conn: Conn, r: Reader) -> None:
        _type, scheme, auth = r.int(), r.ustring(), r.buffer() or b""
        text = auth.decode("utf-8", "replace")
        if scheme == "digest" and ":" in text:
            ident = ("digest", aclmod.digest(text))
            if ident not in conn.auth:
                conn.auth.append(ident)
            if ident[1] == self.config.super_digest and aclmod.SUPER not in conn.auth:
                conn.auth.append(aclmod.SUPER)
            self._send(conn.id, replies.header_only(XID_AUTH, 0, 0))
            return
        self._send(conn.id, replies.header_only(XID_AUTH, 0, Err.AUTHFAILED))
        self._close(conn.id)

    def _set_watches(self, conn: Conn, r: Reader, v2: bool) -> None:
        rel = r.long()
        data, exist, child = r.strings(), r.strings(), r.strings()
        persistent, recursive = (r.strings(), r.strings()) if v2 else ([], [])
        tree, w = self.tree, self.tree.watches
        for path in data:
            node = tree.nodes.get(path)
            if node is None:
                self._deliver(conn.id, EventType.NODE_DELETED, path)
            elif node.mzxid > rel:
                self._deliver(conn.id, EventType.NODE_DATA_CHANGED, path)
            else:
                w.data.add(path, conn.id)
        for path in exist:
            if path in tree.nodes:
                self._deliver(conn.id, EventType.NODE_CREATED, path)
            else:
                w.data.add(path, conn.id)
        for path in child:
            node = tree.nodes.get(path)
            if node is None:
                self._deliver(conn.id, EventType.NODE_DELETED, path)
            elif node.pzxid > rel:
                self._deliver(conn.id, EventType.NODE_CHILDREN_CHANGED, path)
            else:
                w.child.add(path, conn.id)
        for path in persistent:
            w.add_persistent(path, conn.id, False)
        for path in recursive:
            w.add_persistent(path, conn.id, True)

    # ------------------------------------------------------------ time
    def tick(self, now: int) -> None:
        """Expire sessions whose deadline passed; reap empty containers and expired TTL nodes."""
        for sid in self.sessions.expired(now):
            self.commit(Txn(sid, 0, self._next_zxid(), now, Op.CLOSE_SESSION, CloseSessionTxn()))
            conn_id = self.session_conn.pop(sid, None)
            if conn_id is not None:
                self._close(conn_id)
        if now >= self.next_container_check:
            self.next_container_check = now + self.config.container_check_ms
            self._reap(now)

    def _reap(self, now: int) -> None:
        doomed = []
        for path in sorted(self.tree.containers):
            node = self.tree.nodes[path]
            if not node.children and node.cversion > 0:
                doomed.append(path)
        for path in sorted(self.tree.ttls):
            node = self.tree.nodes[path]
            if is_ttl_owner(node.owner) and not node.children:
                ttl = node.owner & ((1 << 40) - 1)
                if now - node.mtime > ttl:
                    doomed.append(path)
        for path in doomed:
            self.commit(Txn(0, 0, self._next_zxid(), now, Op.DELETE_CONTAINER, DeleteTxn(path)))
