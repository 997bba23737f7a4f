"""ZkCore driven directly (no sockets) on a virtual clock: sessions, expiry, watches, errors."""

from __future__ import annotations

from zk_wire import Session, connect_frame, create_body, drain, parse, path_watch, req

from odradek.common.clock import ManualClock
from odradek.zk.codes import CreateMode, Err, EventType, Op
from odradek.zk.core import CoreConfig, ZkCore
from odradek.zk.jute import Reader, Writer
from odradek.zk.tree import DataTree


def make_core(clock: ManualClock) -> ZkCore:
    cfg = CoreConfig(tick_ms=100, min_session_timeout=200, max_session_timeout=10000)
    return ZkCore(cfg, DataTree(), clock.now_ms())


def test_negotiated_timeout_is_clamped() -> None:
    clock = ManualClock()
    core = make_core(clock)
    assert Session(core, 1, clock.now_ms(), timeout=50).timeout == 200
    assert Session(core, 2, clock.now_ms(), timeout=999999).timeout == 10000


def test_session_expiry_removes_ephemerals_and_fires_watches() -> None:
    clock = ManualClock()
    core = make_core(clock)
    owner = Session(core, 1, clock.now_ms(), timeout=1000)
    watcher = Session(core, 2, clock.now_ms(), timeout=5000)
    frames = owner.call(Op.CREATE, create_body("/e", b"x", CreateMode.EPHEMERAL), clock.now_ms())
    assert frames[0][2] == 0
    assert watcher.call(Op.EXISTS, path_watch("/e", True), clock.now_ms())[0][2] == 0
    core.lost(1)  # the owner's socket dies without closeSession
    for _ in range(9):  # 900 ms: not yet
        clock.advance(100)
        watcher.call(Op.PING, None, clock.now_ms())
        core.tick(clock.now_ms())
    assert "/e" in core.tree.nodes
    events = []
    for _ in range(5):
        clock.advance(100)
        core.tick(clock.now_ms())
        events += [parse(f) for c, f in drain(core) if c == 2 and f is not None]
    assert "/e" not in core.tree.nodes
    assert owner.session_id not in core.sessions.sessions
    assert [(x, r.int()) for x, _z, _e, r in events] == [(-1, EventType.NODE_DELETED)]


def test_pings_keep_a_session_alive() -> None:
    clock = ManualClock()
    core = make_core(clock)
    s = Session(core, 1, clock.now_ms(), timeout=500)
    for _ in range(50):
        clock.advance(100)
        assert s.call(Op.PING, None, clock.now_ms())[0][0] == -2
        core.tick(clock.now_ms())
    assert core.sessions.valid(s.session_id)


def test_reconnect_with_password_and_rejection_with_wrong_one() -> None:
    clock = ManualClock()
    core = make_core(clock)
    s = Session(core, 1, clock.now_ms())
    core.lost(1)
    core.open(2, "127.0.0.1")
    core.frame(2, connect_frame(4000, s.session_id, s.passwd or b""), clock.now_ms())
    (conn, frame), *rest = drain(core)
    r = Reader(frame or b"", 4)
    assert (conn, r.int(), r.int(), r.long(), r.buffer()) == (2, 0, 4000, s.session_id, s.passwd)
    assert rest == []
    core.open(3, "127.0.0.1")
    core.frame(3, connect_frame(4000, s.session_id, b"x" * 16), clock.now_ms())
    out = drain(core)
    assert out[-1] == (3, None)  # closed
    r = Reader(out[0][1] or b"", 4)
    assert (r.int(), r.int(), r.long()) == (0, 0, 0)  # timeout 0, session 0: expired


def test_client_ahead_of_the_server_is_refused() -> None:
    clock = ManualClock()
    core = make_core(clock)
    core.open(1, "127.0.0.1")
    w = Writer().int(0).long(10**6).int(4000).long(0).buffer(bytes(16)).bool(False)
    core.frame(1, w.getvalue(), clock.now_ms())
    assert drain(core) == [(1, None)]


def test_close_session_deletes_ephemerals_and_closes() -> None:
    clock = ManualClock()
    core = make_core(clock)
    s = Session(core, 1, clock.now_ms())
    s.call(Op.CREATE, create_body("/a", b"", CreateMode.EPHEMERAL_SEQUENTIAL), clock.now_ms())
    assert core.tree.ephemerals[s.session_id] == {"/a0000000000"}
    s.xid += 1
    core.frame(1, req(s.xid, Op.CLOSE_SESSION), clock.now_ms())
    out = drain(core)
    assert out[-1] == (1, None)
    assert "/a0000000000" not in core.tree.nodes


def test_errors_consume_a_zxid_and_reads_report_last_zxid() -> None:
    clock = ManualClock()
    core = make_core(clock)
    s = Session(core, 1, clock.now_ms())
    _xid, zxid1, err, _ = s.call(Op.CREATE, create_body("/x"), clock.now_ms())[0]
    assert err == 0
    _, zxid2, err, _ = s.call(Op.CREATE, create_body("/x"), clock.now_ms())[0]
    assert err == Err.NODEEXISTS and zxid2 == zxid1 + 1
    _, zxid3, err, _ = s.call(Op.EXISTS, path_watch("/x"), clock.now_ms())[0]
    assert err == 0 and zxid3 == zxid2
    _, _, err, _ = s.call(Op.GET_DATA, path_watch("relative"), clock.now_ms())[0]
    assert err == Err.NONODE


def test_unknown_op_replies_unimplemented_and_closes() -> None:
    clock = ManualClock()
    core = make_core(clock)
    Session(core, 1, clock.now_ms())
    core.frame(1, req(5, 4242), clock.now_ms())
    out = drain(core)
    assert parse(out[0][1] or b"")[:3:2] == (5, Err.UNIMPLEMENTED)
    assert out[1] == (1, None)


def test_garbage_connect_closes() -> None:
    clock = ManualClock()
    core = make_core(clock)
    core.open(1, "127.0.0.1")
    core.frame(1, b"\x01\x02", clock.now_ms())
    assert drain(core) == [(1, None)]


def test_watch_event_is_queued_before_the_write_reply() -> None:
    clock = ManualClock()
    core = make_core(clock)
    s = Session(core, 1, clock.now_ms())
    s.call(Op.CREATE, create_body("/w", b"a"), clock.now_ms())
    s.call(Op.GET_DATA, path_watch("/w", True), clock.now_ms())
    body = Writer().ustring("/w").buffer(b"b").int(-1)
    frames = s.call(Op.SET_DATA, body, clock.now_ms())
    assert [f[0] for f in frames] == [-1, s.xid]
