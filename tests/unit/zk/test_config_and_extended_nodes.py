"""zoo.cfg parsing, and container / TTL node reaping on a virtual clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from zk_wire import Session, drain

from odradek.common.clock import ManualClock
from odradek.zk.codes import CONTAINER_OWNER, CreateMode, Err, Op
from odradek.zk.config import ALL_4LW, ConfigError, Peer, load, parse_text
from odradek.zk.core import CoreConfig, ZkCore
from odradek.zk.jute import Writer
from odradek.zk.records import OPEN_ACL_UNSAFE, write_acls
from odradek.zk.tree import DataTree


def test_zoo_cfg(tmp_path: Path) -> None:
    (tmp_path / "myid").write_text("2\n")
    cfg_file = tmp_path / "zoo.cfg"
    cfg_file.write_text(
        f"""# comment
tickTime=500
dataDir={tmp_path}
dataLogDir={tmp_path}/logs
clientPort=2999
clientPortAddress=127.0.0.1
maxClientCnxns=7
initLimit=4
syncLimit=3
server.1=10.0.0.1:2888:3888
server.2=10.0.0.2:2888:3888:observer;2181
autopurge.snapRetainCount=5
autopurge.purgeInterval=1
4lw.commands.whitelist=*
jute.maxbuffer=0x100000
some.unknown=kept
"""
    )
    cfg = load(cfg_file)
    assert (cfg.tick_time, cfg.client_port, cfg.max_client_cnxns) == (500, 2999, 7)
    assert (cfg.min_timeout, cfg.max_timeout, cfg.init_limit, cfg.sync_limit) == (1000, 10000, 4, 3)
    assert cfg.servers[1] == Peer(1, "10.0.0.1", 2888, 3888)
    assert cfg.servers[2] == Peer(2, "10.0.0.2", 2888, 3888, True, 2181)
    assert (cfg.snap_retain_count, cfg.purge_interval_hours) == (5, 1.0)
    assert cfg.four_letter_words == ALL_4LW and cfg.jute_max_buffer == 0x100000
    assert cfg.myid == 2 and cfg.extra == {"some.unknown": "kept"}
    assert cfg.log_dir == tmp_path / "logs" / "version-2"
    assert cfg.snap_dir == tmp_path / "version-2"
    with pytest.raises(ConfigError):
        parse_text("server.x=nonsense")
    with pytest.raises(ConfigError):
        parse_text("tickTime=fast")


def create(s: Session, op: int, path: str, flags: int, ttl: int | None, now: int) -> int:
    w = Writer().ustring(path).buffer(b"")
    write_acls(w, OPEN_ACL_UNSAFE).int(flags)
    if ttl is not None:
        w.long(ttl)
    return s.call(op, w, now)[-1][2]


def test_containers_and_ttl_nodes_are_reaped() -> None:
    clock = ManualClock()
    cfg = CoreConfig(tick_ms=100, min_session_timeout=200, container_check_ms=1000)
    core = ZkCore(cfg, DataTree(), clock.now_ms())
    s = Session(core, 1, clock.now_ms(), timeout=100000)
    now = clock.now_ms
    assert create(s, Op.CREATE_CONTAINER, "/c", CreateMode.CONTAINER, None, now()) == 0
    assert create(s, Op.CREATE_CONTAINER, "/never", CreateMode.CONTAINER, None, now()) == 0
    assert create(s, Op.CREATE, "/c/kid", 0, None, now()) == 0
    assert core.tree.nodes["/c"].owner == CONTAINER_OWNER
    assert create(s, Op.CREATE_TTL, "/t", CreateMode.PERSISTENT_WITH_TTL, 1500, now()) == 0
    assert create(s, Op.CREATE, "/bad", CreateMode.PERSISTENT_WITH_TTL, None, now()) == (
        Err.BADARGUMENTS
    )
    assert create(s, Op.CREATE_TTL, "/t0", CreateMode.PERSISTENT_WITH_TTL, 0, now()) == (
        Err.BADARGUMENTS
    )
    w = Writer().ustring("/c/kid").int(-1)
    assert s.call(Op.DELETE, w, now())[-1][2] == 0
    for _ in range(12):
        clock.advance(100)
        s.call(Op.PING, None, now())
        core.tick(now())
    drain(core)
    assert "/c" not in core.tree.nodes  # had a child, now empty: reaped
    assert "/never" in core.tree.nodes  # never had children: kept
    assert "/t" in core.tree.nodes  # TTL not yet passed
    for _ in range(10):
        clock.advance(100)
        s.call(Op.PING, None, now())
        core.tick(now())
    assert "/t" not in core.tree.nodes
