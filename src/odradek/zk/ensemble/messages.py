"""Quorum messages (election and Zab) and their byte encoding.

Every frame is ``sender:int epoch:long type:byte`` then the body; ``epoch`` is the sender's
epoch for Zab messages (receivers drop frames of another epoch) and 0 for votes. Txns inside
proposals, informs and diffs use the txn-log encoding (:func:`odradek.zk.txn.encode_txn`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from odradek.zk.jute import JuteError, Reader, Writer
from odradek.zk.txn import Txn, decode_txn, encode_txn

LOOKING, FOLLOWING, LEADING, OBSERVING = 0, 1, 2, 3
STATE_NAMES = {LOOKING: "looking", FOLLOWING: "follower", LEADING: "leader", OBSERVING: "observer"}


@dataclass(frozen=True, slots=True)
class Vote:
    """A notification of fast leader election: the proposed leader and its (epoch, zxid)."""

    leader: int
    zxid: int
    epoch: int
    round: int
    state: int


@dataclass(frozen=True, slots=True)
class FollowerInfo:
    accepted_epoch: int
    last_zxid: int
    observer: bool


@dataclass(frozen=True, slots=True)
class LeaderInfo:  # NEWEPOCH
    epoch: int


@dataclass(frozen=True, slots=True)
class AckEpoch:
    current_epoch: int
    last_zxid: int


@dataclass(frozen=True, slots=True)
class Diff:
    zxid: int


@dataclass(frozen=True, slots=True)
class Trunc:
    zxid: int


@dataclass(frozen=True, slots=True)
class Snap:
    zxid: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Proposal:
    txn: Txn


@dataclass(frozen=True, slots=True)
class Commit:
    zxid: int


@dataclass(frozen=True, slots=True)
class Inform:
    txn: Txn


@dataclass(frozen=True, slots=True)
class NewLeader:
    zxid: int


@dataclass(frozen=True, slots=True)
class AckNewLeader:
    zxid: int


@dataclass(frozen=True, slots=True)
class UpToDate:
    pass


@dataclass(frozen=True, slots=True)
class Ack:
    zxid: int


@dataclass(frozen=True, slots=True)
class Ping:
    """Leader → learner: liveness. Learner → leader: liveness plus touched sessions."""

    sessions: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Request:
    """A client write forwarded by a learner (payload = request body after the header)."""

    session_id: int
    cxid: int
    op: int
    payload: bytes
    auth: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SyncReq:
    token: int


@dataclass(frozen=True, slots=True)
class SyncDone:
    token: int


Message = (
    Vote | FollowerInfo | LeaderInfo | AckEpoch | Diff | Trunc | Snap | Proposal | Commit
    | Inform | NewLeader | AckNewLeader | UpToDate | Ack | Ping | Request | SyncReq | SyncDone
)  # fmt: skip

_HEAD = struct.Struct(">iqb")
_TYPES: list[type] = [
    Vote, FollowerInfo, LeaderInfo, AckEpoch, Diff, Trunc, Snap, Proposal, Commit, Inform,
    NewLeader, AckNewLeader, UpToDate, Ack, Ping, Request, SyncReq, SyncDone,
]  # fmt: skip
_CODE = {t: i for i, t in enumerate(_TYPES)}


def _body(w: Writer, m: Message) -> None:
    if isinstance(m, Vote):
        w.long(m.leader).long(m.zxid).long(m.epoch).long(m.round).int(m.state)
    elif isinstance(m, FollowerInfo):
        w.long(m.accepted_epoch).long(m.last_zxid).bool(m.observer)
    elif isinstance(m, AckEpoch):
        w.long(m.current_epoch).long(m.last_zxid)
    elif isinstance(m, Snap):
        w.long(m.zxid).buffer(m.data)
    elif isinstance(m, (Proposal, Inform)):
        w.buffer(encode_txn(m.txn))
    elif isinstance(m, Ping):
        w.int(len(m.sessions))
        for sid, timeout in m.sessions:
            w.long(sid).int(timeout)
    elif isinstance(m, Request):
        w.long(m.session_id).int(m.cxid).int(m.op).buffer(m.payload).int(len(m.auth))
        for scheme, ident in m.auth:
            w.ustring(scheme).ustring(ident)
    elif isinstance(m, UpToDate):
        pass
    elif isinstance(m, (LeaderInfo,)):
        w.long(m.epoch)
    elif isinstance(m, (SyncReq, SyncDone)):
        w.long(m.token)
    else:
        w.long(m.zxid)


def encode(sender: int, epoch: int, m: Message) -> bytes:
    w = Writer()
    w.out += _HEAD.pack(sender, epoch, _CODE[type(m)])
    _body(w, m)
    return w.getvalue()


def _read(r: Reader, t: type) -> Message:
    if t is Vote:
        return Vote(r.long(), r.long(), r.long(), r.long(), r.int())
    if t is FollowerInfo:
        return FollowerInfo(r.long(), r.long(), r.bool())
    if t is AckEpoch:
        return AckEpoch(r.long(), r.long())
    if t is Snap:
        return Snap(r.long(), r.buffer() or b"")
    if t in (Proposal, Inform):
        return t(decode_txn(r.buffer() or b""))
    if t is Ping:
        return Ping(tuple((r.long(), r.int()) for _ in range(r.int())))
    if t is Request:
        sid, cxid, op, payload = r.long(), r.int(), r.int(), r.buffer() or b""
        auth = tuple((r.ustring(), r.ustring()) for _ in range(r.int()))
        return Request(sid, cxid, op, payload, auth)
    if t is UpToDate:
        return UpToDate()
    return t(r.long())  # type: ignore[no-any-return]


def decode(buf: bytes | memoryview) -> tuple[int, int, Message]:
    """(sender, epoch, message); raises JuteError on a malformed frame."""
    if len(buf) < _HEAD.size:
        raise JuteError("short quorum frame")
    sender, epoch, code = _HEAD.unpack_from(buf, 0)
    if not 0 <= code < len(_TYPES):
        raise JuteError(f"unknown quorum message {code}")
    r = Reader(buf, _HEAD.size)
    return sender, epoch, _read(r, _TYPES[code])
