"""Fuzzy snapshots ``snapshot.<hex zxid>``: the tree serialized while the server keeps running.

The zxid in the name is the last txn applied when serialization *started*; nodes are written
parents first as they are when visited, so later txns may or may not be reflected. Restore loads
the snapshot, then replays the log from that zxid: ``DataTree.apply`` is idempotent for txns
already reflected. Format: header (``ZKSN``, version 2, dbid 0), sessions (count, then id and
timeout), nodes (path, data, acl, stat fields) ended by a null path, then adler32 of all of it
and the string "/". Written to a ``.tmp`` file, fsynced, then renamed.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from odradek.zk.codes import CONTAINER_OWNER
from odradek.zk.jute import JuteError, Reader, Writer
from odradek.zk.records import read_acls, write_acls
from odradek.zk.tree import DataNode, DataTree, is_session_owner, is_ttl_owner, parent_of
from odradek.zk.txnlog import sorted_files

MAGIC = b"ZKSN"
HEADER = struct.Struct(">4siq")
NODE_STAT = struct.Struct(">qqqqiiiqq")


def _node_bytes(w: Writer, path: str, n: DataNode) -> None:
    w.ustring(path).buffer(n.data)
    write_acls(w, n.acl)
    w.raw(
        NODE_STAT.pack(
            n.czxid, n.mzxid, n.ctime, n.mtime, n.version, n.cversion, n.aversion, n.owner, n.pzxid
        )
    )


def serialize(tree: DataTree, chunk: int = 2000) -> Iterator[bytes]:
    """Yield the snapshot in pieces; the tree may change between pieces (fuzzy)."""
    w = Writer().raw(HEADER.pack(MAGIC, 2, 0))
    sessions = dict(tree.sessions)
    w.int(len(sessions))
    for sid, timeout in sessions.items():
        w.long(sid).int(timeout)
    stack = ["/"]
    visited = 0
    while stack:
        path = stack.pop()
        node = tree.nodes.get(path)
        if node is None:
            continue
        _node_bytes(w, path, node)
        base = "" if path == "/" else path
        stack.extend(f"{base}/{c}" for c in node.children)
        visited += 1
        if visited % chunk == 0:
            yield bytes(w.out)
            w.out.clear()
    w.ustring(None)
    yield bytes(w.out)


def write_snapshot(directory: Path, zxid: int, pieces: Iterator[bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"snapshot.{zxid:x}"
    tmp = directory / f"snapshot.{zxid:x}.tmp"
    crc = 1
    with tmp.open("wb") as f:
        for piece in pieces:
            crc = zlib.adler32(piece, crc)
            f.write(piece)
        f.write(Writer().long(crc).ustring("/").getvalue())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)
    return final


def load(path: Path) -> DataTree:
    """Parse one snapshot file into a fresh tree; raises JuteError if it is damaged."""
    data = path.read_bytes()
    r = Reader(data)
    if r.remaining() < HEADER.size or data[:4] != MAGIC:
        raise JuteError("not a snapshot")
    r.pos = HEADER.size
    tree = DataTree()
    tree.nodes.clear()
    for _ in range(r.int()):
        sid = r.long()
        tree.sessions[sid] = r.int()
    while True:
        raw = r.buffer()
        if raw is None:
            break
        npath = raw.decode("utf-8")
        node = DataNode(r.data(), read_acls(r) or (), 0, 0, 0)
        if r.remaining() < NODE_STAT.size:
            raise JuteError("truncated node")
        (node.czxid, node.mzxid, node.ctime, node.mtime, node.version, node.cversion,
         node.aversion, node.owner, node.pzxid) = NODE_STAT.unpack_from(data, r.pos)  # fmt: skip
        r.pos += NODE_STAT.size
        _attach(tree, npath, node)
    body_end = r.pos
    if r.long() != zlib.adler32(data[:body_end]) or r.ustring() != "/":
        raise JuteError("snapshot checksum mismatch")
    return tree


def _attach(tree: DataTree, path: str, node: DataNode) -> None:
    tree.nodes[path] = node
    if path != "/":
        parent, name = parent_of(path)
        if parent in tree.nodes:
            tree.nodes[parent].children.add(name)
    owner = node.owner
    if owner == CONTAINER_OWNER:
        tree.containers.add(path)
    elif is_ttl_owner(owner):
        tree.ttls.add(path)
    elif is_session_owner(owner):
        tree.ephemerals.setdefault(owner, set()).add(path)


def newest_valid(directory: Path) -> tuple[int, DataTree] | None:
    for zxid, path in reversed(sorted_files(directory, "snapshot")):
        try:
            tree = load(path)
        except (JuteError, ValueError, OSError):
            continue
        tree.last_zxid = zxid
        return zxid, tree
    return None
