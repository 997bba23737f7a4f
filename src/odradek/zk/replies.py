"""Encoding of replies: frames, reply headers, notifications, write results and connect."""

from __future__ import annotations

import struct

from odradek.zk.codes import XID_NOTIFICATION, KeeperState, Op
from odradek.zk.jute import Writer
from odradek.zk.tree import TxnResult

_LEN = struct.Struct(">i")
_HEADER = struct.Struct(">iqi")
_EVENT_HEAD = struct.Struct(">iqiiii")  # len, xid, zxid, err, type, state


def frame(payload: bytes | bytearray) -> bytes:
    return _LEN.pack(len(payload)) + payload


def header_only(xid: int, zxid: int, err: int) -> bytes:
    return _LEN.pack(_HEADER.size) + _HEADER.pack(xid, zxid, err)


def reply(xid: int, zxid: int, err: int, body: bytes | bytearray) -> bytes:
    return _LEN.pack(_HEADER.size + len(body)) + _HEADER.pack(xid, zxid, err) + body


def notification(event_type: int, path: str) -> bytes:
    raw = path.encode("utf-8")
    size = _EVENT_HEAD.size - 4 + 4 + len(raw)
    head = _EVENT_HEAD.pack(size, XID_NOTIFICATION, -1, 0, event_type, KeeperState.SYNC_CONNECTED)
    return head + _LEN.pack(len(raw)) + raw


def connect_response(timeout: int, session_id: int, passwd: bytes, read_only: bool) -> bytes:
    w = Writer().int(0).int(timeout).long(session_id).buffer(passwd).bool(read_only)
    return frame(w.out)


def _one_result(w: Writer, op: int, res: TxnResult) -> None:
    if op == Op.CREATE:
        w.ustring(res.path)
    elif op in (Op.CREATE2, Op.CREATE_CONTAINER, Op.CREATE_TTL):
        w.ustring(res.path).raw(res.stat or b"")
    elif op in (Op.SET_DATA, Op.SET_ACL):
        w.raw(res.stat or b"")


def write_body(op: int, res: TxnResult) -> bytes:
    """The response body of a successful write (or of a multi, successful or not)."""
    w = Writer()
    if op == Op.MULTI:
        for sub in res.multi:
            if sub.type == Op.ERROR:
                w.int(Op.ERROR).bool(False).int(sub.err).int(sub.err)
            else:
                w.int(sub.type).bool(False).int(0)
                _one_result(w, sub.type, sub)
        w.int(-1).bool(True).int(-1)
    else:
        _one_result(w, op, res)
    return bytes(w.out)
