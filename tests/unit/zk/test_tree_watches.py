"""Data tree Stat bookkeeping, apply idempotence, and watch trigger rules (pure)."""

from __future__ import annotations

from odradek.zk.codes import CONTAINER_OWNER, EventType, Op
from odradek.zk.records import OPEN_ACL_UNSAFE
from odradek.zk.tree import DataTree
from odradek.zk.txn import CreateTxn, DeleteTxn, MultiTxn, SetDataTxn, SubTxn, Txn
from odradek.zk.watches import WatchManager, ancestors


def create(tree: DataTree, zxid: int, path: str, owner: int = 0) -> None:
    parent = tree.nodes[path.rsplit("/", 1)[0] or "/"]
    rec = CreateTxn(path, b"d", OPEN_ACL_UNSAFE, owner, parent.cversion + 1)
    tree.apply(Txn(1, 0, zxid, 1000 + zxid, Op.CREATE, rec))


def test_stat_fields_follow_zookeeper() -> None:
    tree = DataTree()
    create(tree, 1, "/a")
    create(tree, 2, "/a/b")
    tree.apply(Txn(1, 0, 3, 2000, Op.SET_DATA, SetDataTxn("/a", b"xyz", 1)))
    tree.apply(Txn(1, 0, 4, 2001, Op.DELETE, DeleteTxn("/a/b")))
    st = tree.nodes["/a"].stat()
    assert (st.czxid, st.mzxid, st.pzxid) == (1, 3, 4)
    assert (st.ctime, st.mtime) == (1001, 2000)
    assert (st.version, st.cversion, st.data_length, st.num_children) == (1, 2, 3, 0)
    assert tree.nodes["/"].stat().cversion == 2 * 1 - 2  # root: one create, two children
    assert tree.last_zxid == 4


def test_replaying_a_txn_twice_is_harmless() -> None:
    tree = DataTree()
    create(tree, 1, "/a")
    txn = Txn(1, 0, 2, 5, Op.SET_DATA, SetDataTxn("/a", b"v", 1))
    tree.apply(txn)
    tree.apply(txn)
    assert tree.nodes["/a"].version == 1
    rec = CreateTxn("/a", b"", OPEN_ACL_UNSAFE, 0, 1)
    assert tree.apply(Txn(1, 0, 1, 5, Op.CREATE, rec)).err != 0
    assert tree.apply(Txn(1, 0, 3, 5, Op.DELETE, DeleteTxn("/zz"))).err != 0


def test_close_session_and_owner_indexes() -> None:
    tree = DataTree()
    create(tree, 1, "/e1", owner=77)
    create(tree, 2, "/c", owner=CONTAINER_OWNER)
    assert tree.ephemerals == {77: {"/e1"}} and tree.containers == {"/c"}
    tree.close_session(77, 3)
    assert "/e1" not in tree.nodes and 77 not in tree.ephemerals


def test_multi_applies_all_subtxns() -> None:
    tree = DataTree()
    subs = (
        SubTxn(Op.CREATE, CreateTxn("/m", b"", OPEN_ACL_UNSAFE, 0, 2)),
        SubTxn(Op.CREATE, CreateTxn("/m/k", b"", OPEN_ACL_UNSAFE, 0, 1)),
    )
    res = tree.apply(Txn(1, 0, 9, 0, Op.MULTI, MultiTxn(subs)))
    assert [r.err for r in res.multi] == [0, 0]
    assert tree.nodes["/m/k"].czxid == tree.nodes["/m"].czxid == 9


def test_watch_rules() -> None:
    fired: list[tuple[int, EventType, str]] = []
    tree = DataTree(WatchManager(lambda w, t, p: fired.append((w, t, p))))
    w = tree.watches
    w.data.add("/a", 1)  # exists watch on a missing node
    w.child.add("/", 2)
    w.add_persistent("/a", 3, recursive=True)
    w.add_persistent("/", 4, recursive=False)
    create(tree, 1, "/a")
    assert fired == [
        (1, EventType.NODE_CREATED, "/a"),
        (3, EventType.NODE_CREATED, "/a"),
        (2, EventType.NODE_CHILDREN_CHANGED, "/"),
        (4, EventType.NODE_CHILDREN_CHANGED, "/"),
    ]
    fired.clear()
    create(tree, 2, "/a/b")
    tree.apply(Txn(1, 0, 3, 0, Op.SET_DATA, SetDataTxn("/a/b", b"", 1)))
    assert fired == [
        (3, EventType.NODE_CREATED, "/a/b"),
        (3, EventType.NODE_DATA_CHANGED, "/a/b"),
    ]  # recursive watches never see NodeChildrenChanged; the one-shot ones are gone
    fired.clear()
    w.data.add("/a/b", 5)
    w.child.add("/a/b", 5)
    tree.apply(Txn(1, 0, 4, 0, Op.DELETE, DeleteTxn("/a/b")))
    assert fired == [(3, EventType.NODE_DELETED, "/a/b"), (5, EventType.NODE_DELETED, "/a/b")]
    w.drop_watcher(3)
    assert w.data.recursive == 0


def test_ancestors() -> None:
    assert list(ancestors("/a/b/c")) == ["/a/b/c", "/a/b", "/a", "/"]
    assert list(ancestors("/")) == ["/"]
