"""Read requests (pure): decode, check ACLs, register watches, encode the response body.

Reads never change the tree; they see every txn applied so far. Paths of reads are not
validated, as in ZooKeeper: a malformed path is simply not found (NONODE).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from odradek.zk import acl as aclmod
from odradek.zk.codes import PERM_ADMIN, PERM_READ, PERM_WRITE, Err, KeeperError, Op
from odradek.zk.jute import JuteError, Reader, Writer
from odradek.zk.records import write_acls
from odradek.zk.tree import DataNode, DataTree
from odradek.zk.watches import Mode

WATCHER_CHILDREN, WATCHER_DATA, WATCHER_ANY = 1, 2, 3


class ReadContext:
    """What a read needs to know about the asking connection."""

    __slots__ = ("auth", "conn_id", "session_id", "tree")

    def __init__(self, tree: DataTree, conn_id: int, session_id: int, auth: list[aclmod.AuthId]):
        self.tree = tree
        self.conn_id = conn_id
        self.session_id = session_id
        self.auth = auth


def _node(ctx: ReadContext, path: str, perm: int = 0) -> DataNode:
    node = ctx.tree.nodes.get(path)
    if node is None:
        raise KeeperError(Err.NONODE, path)
    if perm:
        aclmod.check(node.acl, perm, ctx.auth)
    return node


def exists(ctx: ReadContext, r: Reader, w: Writer) -> None:
    path, watch = r.ustring(), r.bool()
    node = ctx.tree.nodes.get(path)
    if watch:
        ctx.tree.watches.data.add(path, ctx.conn_id)
    if node is None:
        raise KeeperError(Err.NONODE, path)
    w.raw(node.stat_bytes())


def get_data(ctx: ReadContext, r: Reader, w: Writer) -> None:
    path, watch = r.ustring(), r.bool()
    node = _node(ctx, path, PERM_READ)
    if watch:
        ctx.tree.watches.data.add(path, ctx.conn_id)
    w.buffer(node.data).raw(node.stat_bytes())


def _children(ctx: ReadContext, r: Reader, w: Writer, with_stat: bool) -> None:
    path, watch = r.ustring(), r.bool()
    node = _node(ctx, path, PERM_READ)
    if watch:
        ctx.tree.watches.child.add(path, ctx.conn_id)
    w.strings(list(node.children))
    if with_stat:
        w.raw(node.stat_bytes())


def get_children(ctx: ReadContext, r: Reader, w: Writer) -> None:
    _children(ctx, r, w, False)


def get_children2(ctx: ReadContext, r: Reader, w: Writer) -> None:
    _children(ctx, r, w, True)


def get_acl(ctx: ReadContext, r: Reader, w: Writer) -> None:
    node = _node(ctx, r.ustring(), PERM_READ | PERM_ADMIN)
    write_acls(w, node.acl).raw(node.stat_bytes())


def sync(ctx: ReadContext, r: Reader, w: Writer) -> None:
    w.ustring(r.ustring())


def all_children_number(ctx: ReadContext, r: Reader, w: Writer) -> None:
    path = r.ustring()
    _node(ctx, path, PERM_READ)
    w.int(ctx.tree.count_descendants(path))


def ephemerals(ctx: ReadContext, r: Reader, w: Writer) -> None:
    prefix = r.ustring()
    mine = ctx.tree.ephemerals.get(ctx.session_id, set())
    w.strings(sorted(p for p in mine if prefix == "/" or p.startswith(prefix)))


def who_am_i(ctx: ReadContext, r: Reader, w: Writer) -> None:
    w.int(len(ctx.auth))
    for scheme, ident in ctx.auth:
        w.ustring(scheme).ustring(ident)


def add_watch(ctx: ReadContext, r: Reader, w: Writer) -> None:
    path, mode = r.ustring(), r.int()
    if mode not in (Mode.PERSISTENT, Mode.PERSISTENT_RECURSIVE):
        raise KeeperError(Err.BADARGUMENTS, f"bad addWatch mode {mode}")
    ctx.tree.watches.add_persistent(path, ctx.conn_id, mode == Mode.PERSISTENT_RECURSIVE)
    w.int(0)


def _watch_tables(ctx: ReadContext, r: Reader, remove: bool) -> None:
    path, kind = r.ustring(), r.int()
    tables = []
    if kind in (WATCHER_CHILDREN, WATCHER_ANY):
        tables.append(ctx.tree.watches.child)
    if kind in (WATCHER_DATA, WATCHER_ANY):
        tables.append(ctx.tree.watches.data)
    if kind not in (WATCHER_CHILDREN, WATCHER_DATA, WATCHER_ANY):
        raise KeeperError(Err.BADARGUMENTS, f"bad watcher type {kind}")
    found = False
    for t in tables:
        if t.has(path, ctx.conn_id):
            found = True
            if remove:
                t.remove(path, ctx.conn_id)
    if not found:
        raise KeeperError(Err.NOWATCHER, path)


def remove_watches(ctx: ReadContext, r: Reader, w: Writer) -> None:
    _watch_tables(ctx, r, True)


def check_watches(ctx: ReadContext, r: Reader, w: Writer) -> None:
    _watch_tables(ctx, r, False)


def multi_read(ctx: ReadContext, r: Reader, w: Writer) -> None:
    while True:
        type_, done, _err = r.int(), r.bool(), r.int()
        if done:
            break
        handler = _MULTI_READS.get(type_)
        if handler is None:
            raise JuteError(f"op {type_} not allowed in multiRead")
        body = Writer()
        try:
            handler(ctx, r, body)
        except KeeperError as e:
            w.int(Op.ERROR).bool(False).int(e.code).int(e.code)
            continue
        w.int(type_).bool(False).int(0).raw(bytes(body.out))
    w.int(-1).bool(True).int(-1)


ReadHandler = Callable[[ReadContext, Reader, Writer], None]

_SERVER_LINE = re.compile(
    r"server\.\d+=[^:;=\s]+:\d+:\d+(:(participant|observer))?(;([^:;=\s]+:)?\d+)?"
)


def _server_lines(text: str) -> bool:
    return all(_SERVER_LINE.fullmatch(item.strip()) for item in text.split(","))


def _optional_string(r: Reader) -> str | None:
    raw = r.buffer()
    return None if raw is None or not raw else raw.decode("utf-8", "replace")


def reconfig(ctx: ReadContext, r: Reader, w: Writer) -> None:
    """Checked as ZooKeeper does (arguments, then WRITE on /zookeeper/config, which only the
    super user has), then refused: dynamic reconfiguration is not supported."""
    joining, leaving, members = _optional_string(r), _optional_string(r), _optional_string(r)
    r.long()  # curConfigId
    ok = (members is None or _server_lines(members)) and (joining is None or _server_lines(joining))
    if leaving is not None and not all(x.strip().isdigit() for x in leaving.split(",")):
        ok = False
    if not ok:
        raise KeeperError(Err.BADARGUMENTS, "bad server list")
    _node(ctx, "/zookeeper/config", PERM_WRITE)
    raise KeeperError(Err.RECONFIGDISABLED, "dynamic reconfiguration is not supported")


READS: dict[int, ReadHandler] = {
    Op.EXISTS: exists,
    Op.GET_DATA: get_data,
    Op.GET_CHILDREN: get_children,
    Op.GET_CHILDREN2: get_children2,
    Op.GET_ACL: get_acl,
    Op.SYNC: sync,
    Op.GET_ALL_CHILDREN_NUMBER: all_children_number,
    Op.GET_EPHEMERALS: ephemerals,
    Op.WHO_AM_I: who_am_i,
    Op.ADD_WATCH: add_watch,
    Op.REMOVE_WATCHES: remove_watches,
    Op.CHECK_WATCHES: check_watches,
    Op.MULTI_READ: multi_read,
    Op.RECONFIG: reconfig,
}

_MULTI_READS: dict[int, ReadHandler] = {Op.GET_DATA: get_data, Op.GET_CHILDREN: get_children}
