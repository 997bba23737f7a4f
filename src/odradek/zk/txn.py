"""Transactions: what a write becomes once accepted, the unit of the log and of replication.

A :class:`Txn` is a header (session id, cxid, zxid, time, type) plus one record. ``type`` uses
the client opcodes (create, delete, setData, setACL, check, multi, createSession, closeSession,
deleteContainer) and ``Op.ERROR`` for a rejected write. Encoding is jute: header then record.
Applying the same txn twice leaves the tree as applying it once (fuzzy snapshots rely on that):
setData and setACL carry the resulting version, create carries the parent's new cversion.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from odradek.zk.codes import Op
from odradek.zk.jute import NULL_DATA, JuteError, Reader, Writer
from odradek.zk.records import ACLs, acls_bytes, read_acls, write_acls

_INT = struct.Struct(">i")
_LONG_INT = struct.Struct(">qi")
_HEADER = struct.Struct(">qiqqi")


@dataclass(frozen=True, slots=True)
class CreateTxn:
    path: str
    data: bytes
    acl: ACLs
    owner: int  # ephemeralOwner: session id, 0, or the container/TTL marker
    parent_cversion: int


@dataclass(frozen=True, slots=True)
class DeleteTxn:
    path: str


@dataclass(frozen=True, slots=True)
class SetDataTxn:
    path: str
    data: bytes
    version: int


@dataclass(frozen=True, slots=True)
class SetACLTxn:
    path: str
    acl: ACLs
    version: int


@dataclass(frozen=True, slots=True)
class CheckTxn:
    path: str
    version: int


@dataclass(frozen=True, slots=True)
class CreateSessionTxn:
    timeout: int


@dataclass(frozen=True, slots=True)
class CloseSessionTxn:
    pass


@dataclass(frozen=True, slots=True)
class ErrorTxn:
    err: int


@dataclass(frozen=True, slots=True)
class SubTxn:
    type: int
    record: Record


@dataclass(frozen=True, slots=True)
class MultiTxn:
    txns: tuple[SubTxn, ...] = field(default_factory=tuple)


Record = (
    CreateTxn
    | DeleteTxn
    | SetDataTxn
    | SetACLTxn
    | CheckTxn
    | CreateSessionTxn
    | CloseSessionTxn
    | ErrorTxn
    | MultiTxn
)


@dataclass(frozen=True, slots=True)
class Txn:
    session_id: int
    cxid: int
    zxid: int
    time: int
    type: int
    record: Record


def _write_record(w: Writer, rec: Record) -> None:
    if isinstance(rec, CreateTxn):
        path = rec.path.encode("utf-8")
        w.out += b"".join(
            (
                _INT.pack(len(path)),
                path,
                _INT.pack(-1 if rec.data is NULL_DATA else len(rec.data)),
                rec.data,
                acls_bytes(rec.acl),
                _LONG_INT.pack(rec.owner, rec.parent_cversion),
            )
        )
    elif isinstance(rec, DeleteTxn):
        w.ustring(rec.path)
    elif isinstance(rec, SetDataTxn):
        w.ustring(rec.path).buffer(rec.data).int(rec.version)
    elif isinstance(rec, SetACLTxn):
        write_acls(w.ustring(rec.path), rec.acl).int(rec.version)
    elif isinstance(rec, CheckTxn):
        w.ustring(rec.path).int(rec.version)
    elif isinstance(rec, CreateSessionTxn):
        w.int(rec.timeout)
    elif isinstance(rec, ErrorTxn):
        w.int(rec.err)
    elif isinstance(rec, MultiTxn):
        w.int(len(rec.txns))
        for sub in rec.txns:
            inner = Writer()
            _write_record(inner, sub.record)
            w.int(sub.type).buffer(inner.getvalue())


def _read_record(r: Reader, type_: int) -> Record:
    if type_ in (Op.CREATE, Op.CREATE2, Op.CREATE_CONTAINER, Op.CREATE_TTL):
        path, data = r.ustring(), r.data()
        return CreateTxn(path, data, read_acls(r) or (), r.long(), r.int())
    if type_ in (Op.DELETE, Op.DELETE_CONTAINER):
        return DeleteTxn(r.ustring())
    if type_ == Op.SET_DATA:
        return SetDataTxn(r.ustring(), r.data(), r.int())
    if type_ == Op.SET_ACL:
        return SetACLTxn(r.ustring(), read_acls(r) or (), r.int())
    if type_ == Op.CHECK:
        return CheckTxn(r.ustring(), r.int())
    if type_ == Op.CREATE_SESSION:
        return CreateSessionTxn(r.int())
    if type_ == Op.CLOSE_SESSION:
        return CloseSessionTxn()
    if type_ == Op.ERROR:
        return ErrorTxn(r.int())
    if type_ == Op.MULTI:
        subs = []
        for _ in range(r.int()):
            sub_type = r.int()
            body = r.buffer() or b""
            subs.append(SubTxn(sub_type, _read_record(Reader(body), sub_type)))
        return MultiTxn(tuple(subs))
    raise JuteError(f"unknown txn type {type_}")


def encode_txn(txn: Txn) -> bytes:
    w = Writer()
    w.out += _HEADER.pack(txn.session_id, txn.cxid, txn.zxid, txn.time, txn.type)
    _write_record(w, txn.record)
    return w.getvalue()


def decode_txn(buf: bytes | memoryview) -> Txn:
    r = Reader(buf)
    session_id, cxid, zxid, time, type_ = r.long(), r.int(), r.long(), r.long(), r.int()
    return Txn(session_id, cxid, zxid, time, type_, _read_record(r, type_))
