"""``reconfig`` is checked as ZooKeeper checks it, then refused (no dynamic reconfiguration).

Bad server lists answer BADARGUMENTS, anyone but the super user (``superDigest``) NOAUTH, the
super user RECONFIGDISABLED; the connection stays usable (it used to be closed as UNIMPLEMENTED).
"""

from __future__ import annotations

from zk_wire import Session, path_watch

from odradek.common.clock import ManualClock
from odradek.zk import acl
from odradek.zk.codes import Err, Op
from odradek.zk.core import CoreConfig, ZkCore
from odradek.zk.jute import Writer
from odradek.zk.tree import DataTree

SUPER_DIGEST = acl.digest("super:test")


def _core(clock: ManualClock) -> ZkCore:
    cfg = CoreConfig(tick_ms=100, min_session_timeout=200, super_digest=SUPER_DIGEST)
    return ZkCore(cfg, DataTree(), clock.now_ms())


def _reconfig(s: Session, joining: str | None, leaving: str | None, now: int) -> int:
    body = Writer().ustring(joining).ustring(leaving).ustring(None).long(-1)
    xid, _zxid, err, _r = s.call(Op.RECONFIG, body, now)[-1]
    assert xid == s.xid
    return err


def _auth(s: Session, user_password: str, now: int) -> int:
    body = Writer().int(0).ustring("digest").buffer(user_password.encode())
    return s.call(Op.AUTH, body, now)[-1][2]


def test_reconfig_errors_in_zookeeper_order_and_connection_survives() -> None:
    clock = ManualClock()
    core = _core(clock)
    now = clock.now_ms()
    s = Session(core, 1, now)
    joining = "server.100=0.0.0.0:1234:2345:observer;3456"
    assert _reconfig(s, "some thing", None, now) == Err.BADARGUMENTS
    assert _reconfig(s, None, "x", now) == Err.BADARGUMENTS
    assert _reconfig(s, joining, None, now) == Err.NOAUTH
    assert _auth(s, "someone:else", now) == 0
    assert _reconfig(s, None, "100", now) == Err.NOAUTH
    assert s.call(Op.EXISTS, path_watch("/zookeeper"), now)[-1][2] == 0  # still connected
    su = Session(core, 2, now)
    assert _auth(su, "super:test", now) == 0
    assert _reconfig(su, joining, None, now) == Err.RECONFIGDISABLED
    assert su.call(Op.EXISTS, path_watch("/zookeeper"), now)[-1][2] == 0


def test_super_digest_user_bypasses_acls() -> None:
    clock = ManualClock()
    core = _core(clock)
    now = clock.now_ms()
    s = Session(core, 1, now)
    body = Writer().ustring("/zookeeper/config").buffer(b"x").int(-1)
    assert s.call(Op.SET_DATA, body, now)[-1][2] == Err.NOAUTH
    assert _auth(s, "super:wrong", now) == 0
    assert s.call(Op.SET_DATA, body, now)[-1][2] == Err.NOAUTH
    assert _auth(s, "super:test", now) == 0
    assert s.call(Op.SET_DATA, body, now)[-1][2] == 0
