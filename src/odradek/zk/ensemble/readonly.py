"""Read-only mode of an ensemble member without a quorum (``readonlymode.enabled``), sans-IO.

As Apache ZooKeeper's ReadOnlyZooKeeperServer: a member that has been LOOKING for
``max(2000 ms, tickTime)`` serves clients from its last applied state until an election ends.

- Only clients that set the read-only flag of their ConnectRequest get a session; the
  ConnectResponse has the read-only flag set. Other clients are disconnected.
- Sessions are local: ids come from a tracker of this mode's own (with the server id in the top
  byte, like any id of this server), they are never logged nor replicated, and they expire here.
  A client that later presents one to a read-write server finds it expired and starts a new
  session (Apache 3.8 behaves the same with ``localSessionsEnabled=true``; without it Apache
  answers the session creation with a bare NOTREADONLY header that clients cannot parse).
- A client reconnecting with a global session (one of the replicated tree) is refused, as
  Apache refuses "global session reconnection in RO mode".
- Reads, pings, auth and setWatches are served; writes and ``sync`` get NOTREADONLY (-119).
- Leaving the mode (an election decided) drops every read-only connection; clients look for a
  read-write server themselves.

The state served is the member's tree as it stands: it may hold txns the member logged (or, as
a leader that never established, applied) that the next leader does not keep; Apache's
read-only server, built on the whole replayed txn log, has the same weakness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from odradek.zk import replies
from odradek.zk.codes import WRITE_OPS, XID_PING, Err, Op
from odradek.zk.jute import Reader
from odradek.zk.reads import READS
from odradek.zk.sessions import SessionTracker

if TYPE_CHECKING:
    from odradek.zk.core import Conn, ZkCore

MIN_DELAY_MS = 2000
REFUSED_OPS = WRITE_OPS - {Op.CLOSE_SESSION} | {Op.SYNC, Op.RECONFIG}


def start_delay(tick_ms: int) -> int:
    """How long a member looks for a leader before it serves read-only clients."""
    return max(MIN_DELAY_MS, tick_ms)


class ReadOnlyMode:
    def __init__(self, core: ZkCore, now: int) -> None:
        self.core = core
        cfg = core.config
        self.sessions = SessionTracker(cfg.tick_ms, cfg.server_id, now)

    # ------------------------------------------------------------ connect
    def connect(self, conn: Conn, r: Reader, now: int) -> None:
        core = self.core
        _proto, last_zxid, timeout, sid, passwd = r.int(), r.long(), r.int(), r.long(), r.buffer()
        read_only = r.bool() if r.remaining() else False
        if not read_only or last_zxid > core.tree.last_zxid or sid in core.sessions.sessions:
            core._close(conn.id)  # not a read-only client, or it has seen newer state
            return
        timeout = core.negotiate_timeout(timeout)
        if sid == 0:
            sid = self.sessions.new_id()
        elif not self.sessions.password_matches(sid, passwd):
            core.refuse_session(conn, read_only=True)
            return
        self.sessions.add(sid, timeout, now)
        core.attach_session(conn, sid, timeout, self.sessions.password(sid), read_only=True)

    # ------------------------------------------------------------ requests
    def request(self, conn: Conn, r: Reader, now: int) -> None:
        core = self.core
        xid, op = r.int(), r.int()
        zxid = core.tree.last_zxid
        sid = conn.session_id
        if not self.sessions.touch(sid, now):
            core._send(conn.id, replies.header_only(xid, zxid, Err.SESSIONEXPIRED))
            core._close(conn.id)
        elif op == Op.PING:
            core._send(conn.id, replies.header_only(XID_PING, zxid, 0))
        elif op in REFUSED_OPS:
            core._send(conn.id, replies.header_only(xid, zxid, Err.NOTREADONLY))
        elif op == Op.CLOSE_SESSION:
            self._drop(sid)
            core._send(conn.id, replies.header_only(xid, zxid, 0))
            core._close(conn.id)
        elif op in READS:
            core._read(conn, xid, op, r)
        elif op == Op.AUTH:
            core._auth(conn, r)
        elif op in (Op.SET_WATCHES, Op.SET_WATCHES2):
            core._set_watches(conn, r, op == Op.SET_WATCHES2)
            core._send(conn.id, replies.header_only(xid, zxid, 0))
        else:
            core._send(conn.id, replies.header_only(xid, -1, Err.UNIMPLEMENTED))
            core._close(conn.id)

    def _drop(self, sid: int) -> None:
        self.sessions.remove(sid)
        self.core.session_conn.pop(sid, None)

    # ------------------------------------------------------------ time
    def tick(self, now: int) -> None:
        """Expire local sessions (nothing to log: they never reached the tree)."""
        for sid in self.sessions.expired(now):
            conn_id = self.core.session_conn.get(sid)
            self._drop(sid)
            if conn_id is not None:
                self.core._close(conn_id)

    def next_deadline(self) -> int | None:
        return self.sessions.next_deadline()
