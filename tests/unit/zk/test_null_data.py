"""Null znode data (a jute buffer of length -1) is kept apart from empty data, as in ZooKeeper.

kazoo's ``create(path, None)`` / ``set(path, None)`` send a null buffer and expect ``get`` to
return ``None``; ``b""`` must still read back as ``b""``. Both survive the txn codec (log and
ensemble proposals) and snapshots.
"""

from __future__ import annotations

from pathlib import Path

from zk_wire import Session, create_body, path_watch

from odradek.common.clock import ManualClock
from odradek.zk import snapshot
from odradek.zk.codes import Op
from odradek.zk.core import CoreConfig, ZkCore
from odradek.zk.jute import NULL_DATA, Reader, Writer
from odradek.zk.records import OPEN_ACL_UNSAFE
from odradek.zk.tree import DataTree
from odradek.zk.txn import CreateTxn, SetDataTxn, Txn, decode_txn, encode_txn


def _core(clock: ManualClock) -> ZkCore:
    cfg = CoreConfig(tick_ms=100, min_session_timeout=200, max_session_timeout=10000)
    return ZkCore(cfg, DataTree(), clock.now_ms())


def _get(s: Session, path: str, now: int) -> tuple[bytes | None, int]:
    xid, _zxid, err, r = s.call(Op.GET_DATA, path_watch(path), now)[-1]
    assert (xid, err) == (s.xid, 0)
    data = r.buffer()
    r.long(), r.long(), r.long(), r.long(), r.int(), r.int(), r.int(), r.long()
    return data, r.int()  # data and Stat.dataLength


def _create(s: Session, path: str, data: bytes | None, now: int) -> None:
    w = create_body(path, b"")
    body = Writer().ustring(path).buffer(data).raw(bytes(w.getvalue())[len(path) + 8 :])
    assert s.call(Op.CREATE, body, now)[-1][2] == 0


def test_null_and_empty_data_read_back_as_written() -> None:
    clock = ManualClock()
    s = Session(_core(clock), 1, clock.now_ms())
    now = clock.now_ms()
    _create(s, "/null", None, now)
    _create(s, "/empty", b"", now)
    assert _get(s, "/null", now) == (None, 0)
    assert _get(s, "/empty", now) == (b"", 0)
    set_body = Writer().ustring("/empty").buffer(None).int(-1)
    assert s.call(Op.SET_DATA, set_body, now)[-1][2] == 0
    assert _get(s, "/empty", now) == (None, 0)
    set_body = Writer().ustring("/null").buffer(b"").int(-1)
    assert s.call(Op.SET_DATA, set_body, now)[-1][2] == 0
    assert _get(s, "/null", now) == (b"", 0)


def test_txn_codec_keeps_null_apart_from_empty() -> None:
    for data in (NULL_DATA, b""):
        create = CreateTxn("/a", data, tuple(OPEN_ACL_UNSAFE), 0, 1)
        for op, rec in ((Op.CREATE, create), (Op.SET_DATA, SetDataTxn("/a", data, 3))):
            back = decode_txn(encode_txn(Txn(1, 2, 3, 4, op, rec))).record
            assert isinstance(back, (CreateTxn, SetDataTxn))
            assert (back.data is NULL_DATA) == (data is NULL_DATA)
            assert back.data == b""


def test_snapshot_keeps_null_apart_from_empty(tmp_path: Path) -> None:
    clock = ManualClock()
    core = _core(clock)
    s = Session(core, 1, clock.now_ms())
    _create(s, "/null", None, clock.now_ms())
    _create(s, "/empty", b"", clock.now_ms())
    path = snapshot.write_snapshot(tmp_path, core.tree.last_zxid, snapshot.serialize(core.tree))
    tree = snapshot.load(path)
    assert tree.nodes["/null"].data is NULL_DATA
    assert tree.nodes["/empty"].data == b""
    assert tree.nodes["/empty"].data is not NULL_DATA
    assert Reader(Writer().buffer(tree.nodes["/null"].data).getvalue()).buffer() is None
