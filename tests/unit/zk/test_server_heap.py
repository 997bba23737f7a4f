"""The server keeps its data tree out of the garbage collector's full collections: the heap is
frozen at start and again every ``FREEZE_EVERY`` txns, and znodes frozen that way are still
freed by refcounting once deleted."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from odradek.zk import server as server_mod
from odradek.zk.codes import Op
from odradek.zk.config import ZkConfig
from odradek.zk.server import ZkServer
from odradek.zk.tree import OPEN_ACL_UNSAFE
from odradek.zk.txn import CreateTxn, DeleteTxn, Txn


def _apply(server: ZkServer, txn: Txn) -> None:
    server.core.tree.apply(txn)


def test_heap_frozen_at_start_and_every_freeze_every_txns(tmp_path: Path) -> None:
    server = ZkServer(ZkConfig(data_dir=tmp_path, client_port=0))
    gc.unfreeze()
    try:
        server._freeze_heap()
        assert gc.get_freeze_count() > 0  # first call: whatever the restore built
        gc.unfreeze()
        tree = server.core.tree
        tree.last_zxid += server_mod.FREEZE_EVERY - 1
        server._freeze_heap()
        assert gc.get_freeze_count() == 0  # not yet
        tree.last_zxid += 1
        server._freeze_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        server.txnlog.close()
        server.fsync_pool.shutdown()


def test_frozen_znode_is_freed_when_deleted(tmp_path: Path) -> None:
    server = ZkServer(ZkConfig(data_dir=tmp_path, client_port=0))
    zxid = server.core.tree.last_zxid
    try:
        create = CreateTxn("/z", b"v", OPEN_ACL_UNSAFE, 0, 1)
        _apply(server, Txn(1, 1, zxid + 1, 0, Op.CREATE, create))
        ref = weakref.ref(server.core.tree.nodes["/z"].children)  # dies with its node
        server.frozen_zxid = -1
        server._freeze_heap()
        _apply(server, Txn(1, 2, zxid + 2, 0, Op.DELETE, DeleteTxn("/z")))
        assert ref() is None
    finally:
        gc.unfreeze()
        server.txnlog.close()
        server.fsync_pool.shutdown()
