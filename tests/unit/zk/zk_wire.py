"""Build client frames and read server frames for driving ZkCore without sockets."""

from __future__ import annotations

import struct

from odradek.zk.core import ZkCore
from odradek.zk.jute import Reader, Writer
from odradek.zk.records import OPEN_ACL_UNSAFE, write_acls


def connect_frame(timeout: int = 4000, session_id: int = 0, passwd: bytes = bytes(16)) -> bytes:
    return (
        Writer().int(0).long(0).int(timeout).long(session_id).buffer(passwd).bool(False).getvalue()
    )


def req(xid: int, op: int, body: Writer | None = None) -> bytes:
    head = struct.pack(">ii", xid, op)
    return head + (body.getvalue() if body is not None else b"")


def create_body(path: str, data: bytes = b"", flags: int = 0) -> Writer:
    w = Writer().ustring(path).buffer(data)
    return write_acls(w, OPEN_ACL_UNSAFE).int(flags)


def path_watch(path: str, watch: bool = False) -> Writer:
    return Writer().ustring(path).bool(watch)


def drain(core: ZkCore) -> list[tuple[int, bytes | None]]:
    out, core.outbox = core.outbox, []
    core.txns.clear()
    return out


def parse(frame: bytes) -> tuple[int, int, int, Reader]:
    r = Reader(frame, 4)  # skip the length prefix
    return r.int(), r.long(), r.int(), r


class Session:
    """One connection with a session on a core."""

    def __init__(self, core: ZkCore, conn_id: int, now: int, timeout: int = 4000) -> None:
        self.core, self.conn_id, self.xid = core, conn_id, 0
        core.open(conn_id, "127.0.0.1")
        core.frame(conn_id, connect_frame(timeout), now)
        frame = drain(core)[-1][1]
        assert frame is not None
        r = Reader(frame, 4)
        r.int()
        self.timeout = r.int()
        self.session_id = r.long()
        self.passwd = r.buffer()

    def call(self, op: int, body: Writer | None, now: int) -> list[tuple[int, int, int, Reader]]:
        """Send one request; returns all frames for this connection (events first)."""
        self.xid += 1
        self.core.frame(self.conn_id, req(self.xid, op, body), now)
        return [parse(f) for c, f in drain(self.core) if c == self.conn_id and f is not None]
