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


_DECODED: dict[bytes, ACLs] = {}
_ENCODED: dict[ACLs, bytes] = {}
_CACHE_MAX = 4096


def _skip_acls(r: Reader) -> int:
    """Advance over an ACL vector without building objects; returns its count."""
    n = r.int()
    if n > r.remaining():
        raise JuteError("vector longer than the frame")
    for _ in range(max(n, 0)):
        r.int()
        for _field in range(2):
            size = r.int()
            if size > 0:
                if r.pos + size > r.end:
                    raise JuteError("buffer runs past the end")
                r.pos += size
    return n


def read_acls(r: Reader) -> ACLs | None:
    """Decode an ACL vector; the few distinct lists clients send are decoded once."""
    start = r.pos
    n = _skip_acls(r)
    if n < 0:
        return None
    key = bytes(r.buf[start : r.pos])
    cached = _DECODED.get(key)
    if cached is None:
        sub = Reader(key, 4)
        cached = tuple(read_acl(sub) for _ in range(n))
        if len(_DECODED) >= _CACHE_MAX:
            _DECODED.clear()
        _DECODED[key] = cached
    return cached


def acls_bytes(acls: ACLs) -> bytes:
    cached = _ENCODED.get(acls)
    if cached is None:
        w = Writer().int(len(acls))
        for a in acls:
            w.int(a.perms).ustring(a.scheme).ustring(a.id)
        cached = w.getvalue()
        if len(_ENCODED) >= _CACHE_MAX:
            _ENCODED.clear()
        _ENCODED[acls] = cached
    return cached


def write_acls(w: Writer, acls: ACLs | None) -> Writer:
    if acls is None:
        return w.int(-1)
    return w.raw(acls_bytes(acls))
