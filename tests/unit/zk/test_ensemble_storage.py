"""SNAP and TRUNC rewrite an ensemble member's on-disk state (no network: actions run directly)."""

from __future__ import annotations

from pathlib import Path

from odradek.zk import database, snapshot
from odradek.zk.codes import Op
from odradek.zk.config import Peer as PeerAddr
from odradek.zk.config import ZkConfig
from odradek.zk.ensemble import actions as A
from odradek.zk.ensemble.server import EnsembleServer
from odradek.zk.tree import DataTree
from odradek.zk.txn import CreateTxn, Txn


def _server(tmp_path: Path) -> EnsembleServer:
    cfg = ZkConfig(data_dir=tmp_path / "data", myid=1, client_port=0, admin_enable=False)
    for i in (1, 2, 3):
        cfg.servers[i] = PeerAddr(i, "127.0.0.1", 1, 1)
    return EnsembleServer(cfg)


def _create(zxid: int, path: str) -> Txn:
    return Txn(0, 0, zxid, 0, Op.CREATE, CreateTxn(path, b"d", (), 0, zxid & 0xFF))


def test_truncate_drops_uncommitted_txns_from_tree_and_disk(tmp_path: Path) -> None:
    srv = _server(tmp_path)
    for n in range(1, 6):
        srv.txnlog.append(_create(1 << 32 | n, f"/n{n}"))
    srv.txnlog.sync()
    srv._execute(A.Truncate(1 << 32 | 3))
    assert sorted(p for p in srv.core.tree.nodes if p.startswith("/n")) == ["/n1", "/n2", "/n3"]
    tree, _ = database.restore(srv.config.snap_dir, srv.config.log_dir)
    assert "/n3" in tree.nodes and "/n4" not in tree.nodes
    assert tree.last_zxid == 1 << 32 | 3
    srv.txnlog.close()


def test_snap_replaces_the_state(tmp_path: Path) -> None:
    srv = _server(tmp_path)
    srv.txnlog.append(_create(1 << 32 | 1, "/old"))
    srv.txnlog.sync()
    leader_tree = DataTree()
    leader_tree.apply(_create(2 << 32 | 1, "/new"))
    data = b"".join(snapshot.serialize(leader_tree))
    srv._execute(A.LoadSnap(2 << 32 | 1, data))
    assert "/new" in srv.core.tree.nodes and "/old" not in srv.core.tree.nodes
    tree, replayed = database.restore(srv.config.snap_dir, srv.config.log_dir)
    assert "/new" in tree.nodes and "/old" not in tree.nodes and replayed == 0
    srv.txnlog.close()
