"""Request processor: turns a client write into a :class:`Txn` (pure; validation only).

Writes are checked against the tree as it will be once all outstanding txns are applied: the
``outstanding`` overlay holds, per path, the node view a prepared-but-unapplied txn leaves behind
(None for a deleted node), like ZooKeeper's outstanding change records. ``applied(zxid)`` drops
entries up to a zxid. A standalone server applies each txn right away; an ensemble leader keeps
the overlay until commit. A rejected write still becomes a txn (``Op.ERROR``) with its own zxid.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

from odradek.zk import acl as aclmod
from odradek.zk import paths
from odradek.zk.codes import (
    CONTAINER_OWNER,
    CREATE_FLAGS,
    MAX_TTL,
    PERM_ADMIN,
    PERM_CREATE,
    PERM_DELETE,
    PERM_READ,
    PERM_WRITE,
    TTL_OWNER_MASK,
    Err,
    KeeperError,
    Op,
)
from odradek.zk.jute import JuteError, Reader
from odradek.zk.records import ACLs, read_acls
from odradek.zk.tree import DataTree, is_session_owner, parent_of
from odradek.zk.txn import (
    CheckTxn,
    CloseSessionTxn,
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    MultiTxn,
    Record,
    SetACLTxn,
    SetDataTxn,
    SubTxn,
    Txn,
)


@dataclass(frozen=True, slots=True)
class NodeView:
    version: int
    aversion: int
    cversion: int
    num_children: int
    owner: int
    acl: ACLs


class View:
    """The tree seen through the outstanding overlay plus a local (multi) overlay."""

    def __init__(self, tree: DataTree, outstanding: dict[str, tuple[int, NodeView | None]]):
        self.tree = tree
        self.outstanding = outstanding
        self.local: dict[str, NodeView | None] = {}

    def get(self, path: str) -> NodeView | None:
        if path in self.local:
            return self.local[path]
        pending = self.outstanding.get(path)
        if pending is not None:
            return pending[1]
        n = self.tree.nodes.get(path)
        if n is None:
            return None
        return NodeView(n.version, n.aversion, n.cversion, len(n.children), n.owner, n.acl)

    def need(self, path: str) -> NodeView:
        v = self.get(path)
        if v is None:
            raise KeeperError(Err.NONODE, path)
        return v


def _check_version(expected: int, actual: int) -> None:
    if expected != -1 and expected != actual:
        raise KeeperError(Err.BADVERSION)


class Processor:
    def __init__(self, tree: DataTree) -> None:
        self.tree = tree
        self.outstanding: dict[str, tuple[int, NodeView | None]] = {}
        self.newest = 0  # highest zxid in outstanding

    def applied(self, zxid: int) -> None:
        if self.outstanding and self.newest <= zxid:
            self.outstanding.clear()
        elif self.outstanding:
            for path in [p for p, (z, _v) in self.outstanding.items() if z <= zxid]:
                del self.outstanding[path]

    # ----------------------------------------------------------------- entry
    def prep(
        self,
        op: int,
        r: Reader,
        session_id: int,
        cxid: int,
        zxid: int,
        now: int,
        auth: list[aclmod.AuthId],
    ) -> Txn:
        """Decode and validate one write; always returns a txn (maybe an error txn)."""
        view = View(self.tree, self.outstanding)
        type_: int
        rec: Record
        try:
            if op == Op.MULTI:
                type_, rec = Op.MULTI, self._multi(r, view, session_id, auth)
            elif op == Op.CLOSE_SESSION:
                type_, rec = op, CloseSessionTxn()
            else:
                type_, rec = op, self._one(op, r, view, session_id, auth)
        except KeeperError as e:
            return Txn(session_id, cxid, zxid, now, Op.ERROR, ErrorTxn(e.code))
        for path, v in view.local.items():
            self.outstanding[path] = (zxid, v)
        if view.local:
            self.newest = zxid
        return Txn(session_id, cxid, zxid, now, type_, rec)

    def _multi(self, r: Reader, view: View, session_id: int, auth: list[aclmod.AuthId]) -> MultiTxn:
        subs: list[SubTxn] = []
        failed = False
        while True:
            type_, done, _err = r.int(), r.bool(), r.int()
            if done:
                break
            if type_ not in _MULTI_OPS:
                raise JuteError(f"op {type_} not allowed in multi")
            if failed:
                self._skip(type_, r)
                subs.append(SubTxn(Op.ERROR, ErrorTxn(Err.RUNTIMEINCONSISTENCY)))
                continue
            try:
                subs.append(SubTxn(type_, self._one(type_, r, view, session_id, auth)))
            except KeeperError as e:
                failed = True
                view.local.clear()
                subs = [SubTxn(Op.ERROR, ErrorTxn(Err.OK)) for _ in subs]
                subs.append(SubTxn(Op.ERROR, ErrorTxn(e.code)))
        return MultiTxn(tuple(subs))

    def _skip(self, type_: int, r: Reader) -> None:
        with contextlib.suppress(KeeperError):
            self._one(type_, r, View(self.tree, {}), 0, [aclmod.SUPER])

    def _one(
        self, op: int, r: Reader, view: View, session_id: int, auth: list[aclmod.AuthId]
    ) -> Record:
        if op in (Op.CREATE, Op.CREATE2, Op.CREATE_CONTAINER, Op.CREATE_TTL):
            return self._create(op, r, view, session_id, auth)
        if op in (Op.DELETE, Op.DELETE_CONTAINER):
            path = r.ustring()
            version = r.int() if op == Op.DELETE else -1
            return self._delete(path, version, view, auth)
        if op == Op.SET_DATA:
            path, data, version = r.ustring(), r.data(), r.int()
            paths.validate(path)
            node = view.need(path)
            aclmod.check(node.acl, PERM_WRITE, auth)
            _check_version(version, node.version)
            view.local[path] = NodeView(
                node.version + 1, node.aversion, node.cversion, node.num_children, node.owner,
                node.acl,
            )  # fmt: skip
            return SetDataTxn(path, data, node.version + 1)
        if op == Op.SET_ACL:
            path, acls, version = r.ustring(), read_acls(r), r.int()
            paths.validate(path)
            fixed = aclmod.fixup(acls, auth)
            node = view.need(path)
            aclmod.check(node.acl, PERM_ADMIN, auth)
            _check_version(version, node.aversion)
            view.local[path] = replace(node, aversion=node.aversion + 1, acl=fixed)
            return SetACLTxn(path, fixed, node.aversion + 1)
        if op == Op.CHECK:
            path, version = r.ustring(), r.int()
            paths.validate(path)
            node = view.need(path)
            aclmod.check(node.acl, PERM_READ, auth)
            _check_version(version, node.version)
            return CheckTxn(path, version)
        raise KeeperError(Err.UNIMPLEMENTED, f"op {op} is not a write")

    def _create(
        self, op: int, r: Reader, view: View, session_id: int, auth: list[aclmod.AuthId]
    ) -> CreateTxn:
        path, data, acls, flags = r.ustring(), r.data(), read_acls(r), r.int()
        ttl = r.long() if op == Op.CREATE_TTL else -1
        mode = CREATE_FLAGS.get(flags)
        if mode is None:
            raise KeeperError(Err.BADARGUMENTS, f"bad create flags {flags}")
        ephemeral, sequential, container, with_ttl = mode
        if with_ttl != (op == Op.CREATE_TTL) or (op == Op.CREATE_TTL and not 0 < ttl <= MAX_TTL):
            raise KeeperError(Err.BADARGUMENTS, "TTL needs createTTL with a TTL mode")
        if container != (op == Op.CREATE_CONTAINER):
            raise KeeperError(Err.BADARGUMENTS, "containers need createContainer")
        paths.validate(path, sequential)
        fixed = aclmod.fixup(acls, auth)
        parent_path, _name = parent_of(path)
        parent = view.need(parent_path)
        aclmod.check(parent.acl, PERM_CREATE, auth)
        if sequential:
            path = f"{path}{parent.cversion:010d}"
            paths.validate(path)
        if view.get(path) is not None:
            raise KeeperError(Err.NODEEXISTS, path)
        if is_session_owner(parent.owner):
            raise KeeperError(Err.NOCHILDRENFOREPHEMERALS, path)
        if ephemeral:
            owner = session_id
        elif container:
            owner = CONTAINER_OWNER
        elif with_ttl:
            owner = TTL_OWNER_MASK | ttl
        else:
            owner = 0
        new_cversion = parent.cversion + 1
        view.local[parent_path] = NodeView(
            parent.version,
            parent.aversion,
            new_cversion,
            parent.num_children + 1,
            parent.owner,
            parent.acl,
        )
        view.local[path] = NodeView(0, 0, 0, 0, owner, fixed)
        return CreateTxn(path, data, fixed, owner, new_cversion)

    def _delete(self, path: str, version: int, view: View, auth: list[aclmod.AuthId]) -> DeleteTxn:
        paths.validate(path)
        if path == "/":
            raise KeeperError(Err.BADARGUMENTS, "cannot delete /")
        parent_path, _name = parent_of(path)
        parent = view.need(parent_path)
        node = view.need(path)
        aclmod.check(parent.acl, PERM_DELETE, auth)
        _check_version(version, node.version)
        if node.num_children > 0:
            raise KeeperError(Err.NOTEMPTY, path)
        view.local[parent_path] = NodeView(
            parent.version,
            parent.aversion,
            parent.cversion,
            parent.num_children - 1,
            parent.owner,
            parent.acl,
        )
        view.local[path] = None
        return DeleteTxn(path)


_MULTI_OPS = frozenset(
    {Op.CREATE, Op.CREATE2, Op.CREATE_CONTAINER, Op.CREATE_TTL, Op.DELETE, Op.SET_DATA, Op.CHECK}
)

__all__ = ["JuteError", "NodeView", "Processor", "View"]
