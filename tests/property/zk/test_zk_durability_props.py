"""Property tests: txn codec round trips, torn log tails, fuzzy snapshot + replay == live tree."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.zk import database, snapshot
from odradek.zk.codes import Op
from odradek.zk.jute import Reader, Writer
from odradek.zk.processor import Processor
from odradek.zk.records import OPEN_ACL_UNSAFE, write_acls
from odradek.zk.tree import DataTree
from odradek.zk.txn import (
    CreateTxn,
    DeleteTxn,
    ErrorTxn,
    MultiTxn,
    SetDataTxn,
    SubTxn,
    Txn,
    decode_txn,
    encode_txn,
)
from odradek.zk.txnlog import TxnLog, read_txns

names = st.text("abc", min_size=1, max_size=3)
records = st.one_of(
    st.builds(
        CreateTxn,
        names.map(lambda n: "/" + n),
        st.binary(max_size=20),
        st.just(OPEN_ACL_UNSAFE),
        st.integers(-(2**63), 2**63 - 1),
        st.integers(-(2**31), 2**31 - 1),
    ),
    st.builds(DeleteTxn, names),
    st.builds(SetDataTxn, names, st.binary(max_size=20), st.integers(0, 1000)),
    st.builds(ErrorTxn, st.integers(-200, 0)),
)
TYPES = {CreateTxn: Op.CREATE, DeleteTxn: Op.DELETE, SetDataTxn: Op.SET_DATA, ErrorTxn: Op.ERROR}


@given(records, st.integers(0, 2**40), st.lists(records, max_size=3))
def test_txn_round_trip(rec, zxid, subs) -> None:  # type: ignore[no-untyped-def]
    txn = Txn(5, 7, zxid, 123, TYPES[type(rec)], rec)
    assert decode_txn(encode_txn(txn)) == txn
    multi = MultiTxn(tuple(SubTxn(TYPES[type(s)], s) for s in subs))
    mtxn = Txn(5, 7, zxid, 123, Op.MULTI, multi)
    assert decode_txn(encode_txn(mtxn)) == mtxn


def random_write(rng: random.Random, proc: Processor, tree: DataTree, zxid: int) -> Txn:
    paths = sorted(tree.nodes)
    parent = rng.choice(paths)
    kind = rng.random()
    w = Writer()
    if kind < 0.5:
        base = "" if parent == "/" else parent
        w.ustring(f"{base}/n{rng.randrange(20)}").buffer(rng.randbytes(rng.randrange(8)))
        write_acls(w, OPEN_ACL_UNSAFE).int(rng.choice([0, 2]))
        op = Op.CREATE
    elif kind < 0.8:
        w.ustring(parent).buffer(rng.randbytes(4)).int(-1)
        op = Op.SET_DATA
    else:
        w.ustring(parent).int(-1)
        op = Op.DELETE
    return proc.prep(op, Reader(w.getvalue()), 1, 0, zxid, zxid * 10, [("super", "")])


def dump(tree: DataTree) -> dict[str, tuple[bytes, bytes]]:
    return {p: (n.data, n.stat_bytes()) for p, n in tree.nodes.items()}


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 6))
def test_fuzzy_snapshot_plus_log_replay_equals_live_tree(seed: int, chunk: int) -> None:
    import tempfile

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as d:
        snap_dir, log_dir = Path(d) / "snap", Path(d) / "log"
        tree = DataTree()
        proc = Processor(tree)
        log = TxnLog(log_dir, 4096)
        zxid = 0

        def step() -> None:
            nonlocal zxid
            zxid += 1
            txn = random_write(rng, proc, tree, zxid)
            log.append(txn)
            tree.apply(txn)
            proc.applied(zxid)

        for _ in range(rng.randrange(5, 40)):
            step()
        log.sync()
        start = tree.last_zxid
        pieces = []
        for piece in snapshot.serialize(tree, chunk=chunk):  # writes interleave with the snapshot
            pieces.append(piece)
            for _ in range(rng.randrange(0, 4)):
                step()
        snapshot.write_snapshot(snap_dir, start, iter(pieces))
        for _ in range(rng.randrange(0, 10)):
            step()
        log.close()
        restored, _n = database.restore(snap_dir, log_dir)
        assert dump(restored) == dump(tree)
        assert restored.last_zxid == tree.last_zxid


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6))
def test_torn_log_tail_keeps_the_prefix(seed: int) -> None:
    import tempfile

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as d:
        log = TxnLog(Path(d), 4096)
        txns = [
            Txn(1, i, i, i, Op.SET_DATA, SetDataTxn("/x", rng.randbytes(rng.randrange(50)), i))
            for i in range(1, rng.randrange(2, 30))
        ]
        for t in txns:
            log.append(t)
        log.close()
        (path,) = list(Path(d).iterdir())
        raw = bytearray(path.read_bytes())
        cut = rng.randrange(16, len(raw.rstrip(b"\0")) + 1)
        if rng.random() < 0.5:
            raw[cut:] = bytes(len(raw) - cut)  # truncated write
        else:
            raw[cut - 1] ^= 0xFF  # corrupted byte
        path.write_bytes(bytes(raw))
        got = list(read_txns(Path(d), 0))
        assert got == txns[: len(got)]
