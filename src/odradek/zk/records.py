"""Jute records shared by requests, responses, txns and snapshots: Stat, Id, ACL.

``Stat`` on the wire is czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner,
dataLength, numChildren, pzxid (68 bytes); ACLs are ``vector<{int perms, {ustring scheme,
ustring id}}>``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from odradek.zk.jute import JuteError, Reader, Writer

STAT = struct.Struct(">qqqqiiiqiiq")


@dataclass(frozen=True, slots=True)
class ACL:
    perms: int
    scheme: str
    id: str


ACLs = tuple[ACL, ...]

OPEN_ACL_UNSAFE: ACLs = (ACL(31, "world", "anyone"),)
READ_ACL_UNSAFE: ACLs = (ACL(1, "world", "anyone"),)


@dataclass(frozen=True, slots=True)
class Stat:
    czxid: int
    mzxid: int
    ctime: int
    mtime: int
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: int
    data_length: int
    num_children: int
    pzxid: int

    def encode(self) -> bytes:
        return STAT.pack(
            self.czxid,
            self.mzxid,
            self.ctime,
            self.mtime,
            self.version,
            self.cversion,
            self.aversion,
            self.ephemeral_owner,
            self.data_length,
            self.num_children,
            self.pzxid,
        )

    @classmethod
    def decode(cls, r: Reader) -> Stat:
        if r.remaining() < STAT.size:
            raise JuteError("truncated stat")
        values = STAT.unpack_from(r.buf, r.pos)
        r.pos += STAT.size
        return cls(*values)


def read_acl(r: Reader) -> ACL:
    perms = r.int()
    return ACL(perms, r.ustring(), r.ustring())


def read_acls(r: Reader) -> ACLs | None:
    items = r.vector(read_acl)
    return None if items is None else tuple(items)


def write_acls(w: Writer, acls: ACLs | None) -> Writer:
    if acls is None:
        return w.int(-1)
    w.int(len(acls))
    for a in acls:
        w.int(a.perms).ustring(a.scheme).ustring(a.id)
    return w
