"""Read-only mode of an ensemble member, driven without sockets (EnsembleCore + a looking Peer)."""

from __future__ import annotations

import pytest
from zk_wire import Session, create_body, drain, parse, path_watch, req

from odradek.zk.codes import Err, Op
from odradek.zk.config import ConfigError, parse_text
from odradek.zk.core import CoreConfig, ZkCore
from odradek.zk.ensemble import actions as A
from odradek.zk.ensemble import messages as m
from odradek.zk.ensemble.core import EnsembleCore
from odradek.zk.ensemble.peer import Peer, PeerConfig
from odradek.zk.jute import Reader, Writer
from odradek.zk.main import parse_args
from odradek.zk.tree import DataTree

TICK = 200
CFG = CoreConfig(tick_ms=TICK, min_session_timeout=400, max_session_timeout=10000, server_id=1)


class Member:
    """An ensemble member alone (its peers silent): the driver part that matters here."""

    def __init__(self, read_only: bool = True) -> None:
        standalone = ZkCore(CFG, DataTree(), 0)  # build some state, and one global session
        self.global_session = Session(standalone, 1, 0, timeout=10000)
        self.global_session.call(Op.CREATE, create_body("/a", b"x"), 0)
        self.now = 0
        self.peer = Peer(PeerConfig(1, frozenset({1, 2, 3}), tick_ms=TICK), 0, 0, 0)
        self.core = EnsembleCore(CFG, standalone.tree, 0, self.peer, read_only=read_only)
        self.peer.start(0)
        self.drive()
        self.next_conn = 10

    def drive(self) -> None:
        while self.peer.out:
            out, self.peer.out = self.peer.out, []
            for act in out:
                if isinstance(act, A.RoleChange):
                    self.core.role_changed(self.now)

    def advance(self, ms: int) -> None:
        end = self.now + ms
        while self.now < end:
            self.now += 50
            self.peer.tick(self.now)
            self.drive()
            self.core.tick(self.now)

    def connect(
        self, read_only: bool = True, sid: int = 0, passwd: bytes = bytes(16)
    ) -> tuple[int, list[bytes | None]]:
        conn = self.next_conn
        self.next_conn += 1
        self.core.open(conn, "127.0.0.1")
        body = Writer().int(0).long(0).int(4000).long(sid).buffer(passwd).bool(read_only)
        self.core.frame(conn, body.getvalue(), self.now)
        out = drain(self.core)
        self.others = [(c, f) for c, f in out if c != conn]
        return conn, [f for c, f in out if c == conn]

    def call(self, conn: int, xid: int, op: int, body: Writer | None = None) -> tuple[int, int]:
        self.core.frame(conn, req(xid, op, body), self.now)
        frames = [f for c, f in drain(self.core) if c == conn and f is not None]
        got_xid, _zxid, err, _r = parse(frames[-1])
        return got_xid, err


def connect_reply(frame: bytes | None) -> tuple[int, int, bytes, bool]:
    assert frame is not None
    r = Reader(frame, 4)
    r.int()
    timeout, sid, passwd = r.int(), r.long(), r.buffer() or b""
    return timeout, sid, passwd, r.bool()


def test_no_read_only_service_before_the_grace_period_or_when_disabled() -> None:
    member = Member()
    member.advance(1500)
    assert not member.core.read_only
    assert member.connect()[1] == [None]  # looking: closed
    off = Member(read_only=False)
    off.advance(5000)
    assert not off.core.read_only
    assert off.connect()[1] == [None]


def test_read_only_sessions_reads_and_refused_writes() -> None:
    member = Member()
    member.advance(2100)  # max(2000 ms, tickTime) of looking
    assert member.core.read_only
    conn, frames = member.connect()
    timeout, sid, _passwd, ro = connect_reply(frames[0])
    assert ro and timeout == 4000
    assert sid != 0 and sid >> 56 == 1  # a session id of this server, never replicated
    assert sid not in member.core.tree.sessions
    member.core.frame(conn, req(1, Op.GET_DATA, path_watch("/a")), member.now)
    xid, _zxid, err, r = parse(drain(member.core)[0][1] or b"")
    assert (xid, err, r.buffer()) == (1, 0, b"x")
    assert member.call(conn, 2, Op.EXISTS, path_watch("/nope")) == (2, Err.NONODE)
    assert member.call(conn, 3, Op.SET_DATA, Writer().ustring("/a").buffer(b"y").int(-1)) == (
        3,
        Err.NOTREADONLY,
    )
    assert member.call(conn, 4, Op.CREATE, create_body("/b")) == (4, Err.NOTREADONLY)
    assert member.call(conn, 5, Op.SYNC, Writer().ustring("/a")) == (5, Err.NOTREADONLY)
    assert member.call(conn, -2, Op.PING) == (-2, 0)
    assert member.core.tree.nodes["/a"].data == b"x"
    assert "/b" not in member.core.tree.nodes


def test_plain_clients_and_global_sessions_are_refused() -> None:
    member = Member()
    member.advance(2100)
    assert member.connect(read_only=False)[1] == [None]
    g = member.global_session
    assert member.connect(sid=g.session_id, passwd=g.passwd)[1] == [None]


def test_read_only_session_reconnects_then_expires_locally() -> None:
    member = Member()
    member.advance(2100)
    first, frames = member.connect()
    _t, sid, passwd, _ro = connect_reply(frames[0])
    second, frames = member.connect(sid=sid, passwd=passwd)
    assert connect_reply(frames[0])[1] == sid
    assert (first, None) in member.others  # the session moved: its old connection closes
    _conn, frames = member.connect(sid=sid, passwd=bytes(16))  # wrong password
    assert connect_reply(frames[0])[0] == 0 and frames[-1] is None
    member.core.lost(first)
    member.advance(5000)  # no ping for longer than the 4 s timeout
    assert (second, None) in drain(member.core)
    _conn, frames = member.connect(sid=sid, passwd=passwd)
    assert connect_reply(frames[0])[0] == 0  # expired


def test_an_election_ends_read_only_mode_and_drops_its_clients() -> None:
    member = Member()
    member.advance(2100)
    conn, _frames = member.connect()
    assert member.core.read_only
    # servers 2 and 3 are back and follow 3: member 1 joins them
    for sender, state in ((2, m.FOLLOWING), (3, m.LEADING)):
        member.peer.receive(sender, 0, m.Vote(3, 0, 0, 9, state), member.now)
    member.drive()
    assert member.peer.state == m.FOLLOWING
    assert not member.core.read_only
    assert (conn, None) in drain(member.core)
    assert member.connect()[1] == [None]  # syncing with the leader: nobody is served


def test_read_only_mode_settings() -> None:
    assert not parse_text("tickTime=2000\n").read_only_mode
    assert parse_text("readonlymode.enabled=true\n").read_only_mode
    assert not parse_text("readonlymode.enabled=False\n").read_only_mode
    with pytest.raises(ConfigError):
        parse_text("readonlymode.enabled=yes\n")
    assert parse_args(["--read-only-mode", "--port", "0"]).read_only_mode
    assert parse_args(["--set", "readonlymode.enabled=true"]).read_only_mode
