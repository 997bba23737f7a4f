"""The data tree: znodes with exact Stat bookkeeping, mutated only by ``apply(txn)``.

Invariants: every node but '/' has its parent in ``nodes`` and its name in the parent's
``children``; ``ephemerals[session]`` holds exactly the paths whose owner is that session;
``last_zxid`` is the zxid of the last applied txn. ``apply`` is the single mutation path, used
live, on log replay and (later) on commit from a leader; it tolerates a txn that was already
reflected in a fuzzy snapshot (create of an existing node, delete of a missing one) and reports
per-op errors as results, never raising for a well-formed txn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from odradek.zk.codes import CONTAINER_OWNER, TTL_OWNER_MASK, Err, EventType, Op
from odradek.zk.records import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, STAT, ACLs, Stat
from odradek.zk.txn import (
    CheckTxn,
    CloseSessionTxn,
    CreateSessionTxn,
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    MultiTxn,
    Record,
    SetACLTxn,
    SetDataTxn,
    Txn,
)
from odradek.zk.watches import WatchManager


class DataNode:
    """A znode. ``cversion`` counts child creations, as ZooKeeper persists it; the Stat shows
    ``2 * cversion - numChildren`` (creations plus deletions), and sequence suffixes use it raw.
    ``owner`` keeps the container/TTL markers; the Stat shows 0 for those."""

    __slots__ = (
        "acl",
        "aversion",
        "children",
        "ctime",
        "cversion",
        "czxid",
        "data",
        "mtime",
        "mzxid",
        "owner",
        "pzxid",
        "version",
    )

    def __init__(self, data: bytes, acl: ACLs, zxid: int, time: int, owner: int) -> None:
        self.data = data
        self.acl = acl
        self.czxid = self.mzxid = self.pzxid = zxid
        self.ctime = self.mtime = time
        self.version = self.cversion = self.aversion = 0
        self.owner = owner
        self.children: set[str] = set()

    def stat_bytes(self) -> bytes:
        owner = self.owner
        if owner and (owner == CONTAINER_OWNER or (owner & TTL_OWNER_MASK) == TTL_OWNER_MASK):
            owner = 0  # clients see 0 for containers and TTL nodes, as in ZooKeeper
        return STAT.pack(
            self.czxid,
            self.mzxid,
            self.ctime,
            self.mtime,
            self.version,
            self.cversion * 2 - len(self.children),
            self.aversion,
            owner,
            len(self.data),
            len(self.children),
            self.pzxid,
        )

    def stat(self) -> Stat:
        return Stat(*STAT.unpack(self.stat_bytes()))


def parent_of(path: str) -> tuple[str, str]:
    cut = path.rfind("/")
    return (path[:cut] or "/"), path[cut + 1 :]


def is_ttl_owner(owner: int) -> bool:
    return owner != CONTAINER_OWNER and (owner & TTL_OWNER_MASK) == TTL_OWNER_MASK


def is_session_owner(owner: int) -> bool:
    return owner != 0 and owner != CONTAINER_OWNER and not is_ttl_owner(owner)


@dataclass(slots=True)
class TxnResult:
    type: int
    err: int = 0
    path: str = ""
    stat: bytes | None = None
    multi: list[TxnResult] = field(default_factory=list)


class DataTree:
    def __init__(self, watches: WatchManager | None = None) -> None:
        self.watches = watches or WatchManager()
        self.nodes: dict[str, DataNode] = {}
        self.ephemerals: dict[int, set[str]] = {}
        self.containers: set[str] = set()
        self.ttls: set[str] = set()
        self.sessions: dict[int, int] = {}  # session id -> timeout (ms), from the txns
        self.last_zxid = 0
        root = DataNode(b"", OPEN_ACL_UNSAFE, 0, 0, 0)
        self.nodes["/"] = root
        for path, acl in (
            ("/zookeeper", OPEN_ACL_UNSAFE),
            ("/zookeeper/quota", OPEN_ACL_UNSAFE),
            ("/zookeeper/config", READ_ACL_UNSAFE),
        ):
            self.nodes[path] = DataNode(b"", acl, 0, 0, 0)
            parent, name = parent_of(path)
            self.nodes[parent].children.add(name)
        self.nodes["/zookeeper/config"].aversion = -1

    # ---------------------------------------------------------------- apply
    def apply(self, txn: Txn) -> TxnResult:
        result = self._apply_record(txn, txn.type, txn.record)
        if txn.zxid > self.last_zxid:
            self.last_zxid = txn.zxid
        return result

    def _apply_record(self, txn: Txn, type_: int, rec: Record) -> TxnResult:
        if isinstance(rec, CreateTxn):
            return self._create(type_, rec, txn.zxid, txn.time)
        if isinstance(rec, DeleteTxn):
            return self._delete(type_, rec.path, txn.zxid)
        if isinstance(rec, SetDataTxn):
            return self._set_data(rec, txn.zxid, txn.time)
        if isinstance(rec, SetACLTxn):
            node = self.nodes.get(rec.path)
            if node is None:
                return TxnResult(type_, Err.NONODE, rec.path)
            node.acl, node.aversion = rec.acl, rec.version
            return TxnResult(type_, 0, rec.path, node.stat_bytes())
        if isinstance(rec, CheckTxn):
            return TxnResult(type_, 0, rec.path)
        if isinstance(rec, CreateSessionTxn):
            self.sessions[txn.session_id] = rec.timeout
            return TxnResult(type_)
        if isinstance(rec, CloseSessionTxn):
            self.close_session(txn.session_id, txn.zxid)
            return TxnResult(type_)
        if isinstance(rec, ErrorTxn):
            return TxnResult(Op.ERROR, rec.err)
        return self._multi(txn, rec)

    def _multi(self, txn: Txn, rec: MultiTxn) -> TxnResult:
        results = [self._apply_record(txn, sub.type, sub.record) for sub in rec.txns]
        return TxnResult(Op.MULTI, 0, "", None, results)

    def _create(self, type_: int, rec: CreateTxn, zxid: int, time: int) -> TxnResult:
        parent_path, name = parent_of(rec.path)
        parent = self.nodes.get(parent_path)
        if parent is None:
            return TxnResult(type_, Err.NONODE, rec.path)
        if name in parent.children:
            # replayed over a fuzzy snapshot: keep the newest parent bookkeeping only
            if rec.parent_cversion > parent.cversion:
                parent.cversion, parent.pzxid = rec.parent_cversion, zxid
            return TxnResult(type_, Err.NODEEXISTS, rec.path)
        node = DataNode(rec.data, rec.acl, zxid, time, rec.owner)
        self.nodes[rec.path] = node
        parent.children.add(name)
        parent.cversion = rec.parent_cversion
        parent.pzxid = zxid
        owner = rec.owner
        if owner:
            if owner == CONTAINER_OWNER:
                self.containers.add(rec.path)
            elif is_ttl_owner(owner):
                self.ttls.add(rec.path)
            else:
                self.ephemerals.setdefault(owner, set()).add(rec.path)
        self.watches.fire(rec.path, EventType.NODE_CREATED)
        self.watches.fire(parent_path, EventType.NODE_CHILDREN_CHANGED)
        return TxnResult(type_, 0, rec.path, node.stat_bytes())

    def _delete(self, type_: int, path: str, zxid: int) -> TxnResult:
        node = self.nodes.pop(path, None)
        parent_path, name = parent_of(path)
        if node is None:
            # replayed over a fuzzy snapshot that missed the node: keep the parent's pzxid
            parent = self.nodes.get(parent_path)
            if parent is not None and zxid > parent.pzxid and path != "/":
                parent.pzxid = zxid
            return TxnResult(type_, Err.NONODE, path)
        parent = self.nodes[parent_path]
        parent.children.discard(name)
        if zxid > parent.pzxid:
            parent.pzxid = zxid
        owner = node.owner
        if owner:
            self.containers.discard(path)
            self.ttls.discard(path)
            paths = self.ephemerals.get(owner)
            if paths is not None:
                paths.discard(path)
                if not paths:
                    del self.ephemerals[owner]
        self.watches.fire(path, EventType.NODE_DELETED)
        self.watches.fire(parent_path, EventType.NODE_CHILDREN_CHANGED)
        return TxnResult(type_, 0, path)

    def _set_data(self, rec: SetDataTxn, zxid: int, time: int) -> TxnResult:
        node = self.nodes.get(rec.path)
        if node is None:
            return TxnResult(Op.SET_DATA, Err.NONODE, rec.path)
        node.data, node.version = rec.data, rec.version
        node.mzxid, node.mtime = zxid, time
        self.watches.fire(rec.path, EventType.NODE_DATA_CHANGED)
        return TxnResult(Op.SET_DATA, 0, rec.path, node.stat_bytes())

    def close_session(self, session_id: int, zxid: int) -> None:
        self.sessions.pop(session_id, None)
        for path in sorted(self.ephemerals.get(session_id, ()), reverse=True):
            self._delete(Op.DELETE, path, zxid)

    # ---------------------------------------------------------------- queries
    def get(self, path: str) -> DataNode | None:
        return self.nodes.get(path)

    def count_descendants(self, path: str) -> int:
        node = self.nodes.get(path)
        if node is None:
            return 0
        total, stack = 0, [path]
        while stack:
            p = stack.pop()
            kids = self.nodes[p].children
            total += len(kids)
            base = "" if p == "/" else p
            stack.extend(f"{base}/{k}" for k in kids)
        return total

    def approximate_data_size(self) -> int:
        return sum(len(p) + len(n.data) for p, n in self.nodes.items())
