"""Four-letter words and the AdminServer's JSON commands, computed from the core (pure).

Each command returns a dict (the AdminServer's JSON) and a text rendering (the 4lw reply on the
client port), using Apache ZooKeeper's field names so existing monitoring keeps working.
Latency (:mod:`odradek.zk.stats`): ``srvr``/``stat`` print min/avg/max, ``mntr`` adds Apache
3.8's read and update summaries; ``srst`` resets them with the packet counters, ``crst`` the
per-connection packet counters.
"""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import dataclass, field

from odradek.zk.config import ZkConfig
from odradek.zk.core import ZkCore
from odradek.zk.stats import ServerStats

VERSION = "3.8.0-odradek, built on 2026-01-01 00:00 UTC"
COMMAND_ALIASES = {
    "ruok": "ruok",
    "srvr": "server_stats",
    "stat": "stat",
    "mntr": "monitor",
    "conf": "configuration",
    "cons": "connections",
    "wchs": "watch_summary",
    "dump": "dump",
    "envi": "environment",
    "isro": "is_read_only",
    "srst": "stat_reset",
    "crst": "connection_stat_reset",
    "wchc": "watches",
    "wchp": "watches_by_path",
    "dirs": "dirs",
}


READ_ONLY = "read-only"


@dataclass(slots=True)
class ConnInfo:
    id: int
    peer: str
    received: int
    sent: int
    session_id: int
    timeout: int
    queued: int = 0  # requests read, not answered yet


@dataclass(slots=True)
class ServerInfo:
    core: ZkCore
    config: ZkConfig
    conns: list[ConnInfo]
    received: int
    sent: int
    mode: str = "standalone"
    stats: ServerStats = field(default_factory=ServerStats)
    outstanding: int = 0


def _srvr_lines(s: ServerInfo) -> list[str]:
    lat = s.stats.request
    return [
        f"Latency min/avg/max: {lat.low()}/{lat.avg}/{lat.high()}",
        f"Received: {s.received}",
        f"Sent: {s.sent}",
        f"Connections: {len(s.conns)}",
        f"Outstanding: {s.outstanding}",
        f"Zxid: 0x{s.core.zxid:x}",
        f"Mode: {s.mode}",
        f"Node count: {len(s.core.tree.nodes)}",
    ]


def _cons_line(c: ConnInfo) -> str:
    sid = c.session_id & ((1 << 64) - 1)
    return (
        f" /{c.peer}[1](queued={c.queued},recved={c.received},sent={c.sent},sid=0x{sid:x},"
        f"to={c.timeout})"
    )


def _monitor(s: ServerInfo) -> dict[str, object]:
    tree = s.core.tree
    lat = s.stats.request
    return {
        "version": VERSION,
        "avg_latency": lat.avg,
        "max_latency": lat.high(),
        "min_latency": lat.low(),
        "packets_received": s.received,
        "packets_sent": s.sent,
        "num_alive_connections": len(s.conns),
        "outstanding_requests": s.outstanding,
        "server_state": s.mode,
        "znode_count": len(tree.nodes),
        "watch_count": tree.watches.data.count() + tree.watches.child.count(),
        "ephemerals_count": sum(len(v) for v in tree.ephemerals.values()),
        "approximate_data_size": tree.approximate_data_size(),
        "open_file_descriptor_count": len(os.listdir("/proc/self/fd"))
        if os.path.isdir("/proc/self/fd")
        else 0,
        "last_zxid": s.core.zxid,
        "global_sessions": len(s.core.sessions.sessions),
        **s.stats.update.summary("updatelatency"),
        **s.stats.read.summary("readlatency"),
    }


def _conf(s: ServerInfo) -> dict[str, object]:
    c = s.config
    return {
        "client_port": c.client_port,
        "data_dir": str(c.snap_dir),
        "data_log_dir": str(c.log_dir),
        "tick_time": c.tick_time,
        "max_client_cnxns": c.max_client_cnxns,
        "min_session_timeout": c.min_timeout,
        "max_session_timeout": c.max_timeout,
        "server_id": c.myid,
    }


def _conf_text(s: ServerInfo) -> str:
    c = s.config
    return (
        f"clientPort={c.client_port}\nclientPortAddress={c.client_port_address}\n"
        f"dataDir={c.snap_dir}\ndataLogDir={c.log_dir}\ntickTime={c.tick_time}\n"
        f"maxClientCnxns={c.max_client_cnxns}\nminSessionTimeout={c.min_timeout}\n"
        f"maxSessionTimeout={c.max_timeout}\nserverId={c.myid}\n"
    )


def _env() -> dict[str, object]:
    return {
        "zookeeper.version": VERSION,
        "host.name": socket.gethostname(),
        "python.version": platform.python_version(),
        "os.name": platform.system(),
        "os.arch": platform.machine(),
        "user.dir": os.getcwd(),
    }


def _dump_text(s: ServerInfo) -> str:
    core = s.core
    lines = ["SessionTracker dump:", f"Global Sessions({len(core.sessions.sessions)}):"]
    for sid, sess in sorted(core.sessions.sessions.items()):
        lines.append(f"0x{sid & ((1 << 64) - 1):x}\t{sess.timeout}ms")
    eph = core.tree.ephemerals
    lines.append("ephemeral nodes dump:")
    lines.append(f"Sessions with Ephemerals ({len(eph)}):")
    for sid, paths in sorted(eph.items()):
        lines.append(f"0x{sid & ((1 << 64) - 1):x}:")
        lines += [f"\t{p}" for p in sorted(paths)]
    return "\n".join(lines) + "\n"


def run(word: str, s: ServerInfo) -> tuple[dict[str, object], str]:
    """Execute one command; returns (json dict, text)."""
    w = s.core.tree.watches
    if word == "ruok":
        return {}, "imok"
    head = f"Zookeeper version: {VERSION}\n"
    if s.mode == READ_ONLY:
        head += "READ-ONLY mode; serving only read-only clients\n"
    if word == "srvr":
        lines = _srvr_lines(s)
        return {"server_stats": lines}, head + "\n".join(lines) + "\n"
    if word == "stat":
        clients = "".join(_cons_line(c) + "\n" for c in s.conns)
        text = f"{head}Clients:\n{clients}\n" + "\n".join(_srvr_lines(s))
        return {"server_stats": _srvr_lines(s), "client_response": clients}, text + "\n"
    if word == "mntr":
        m = _monitor(s)
        return m, "".join(f"zk_{k}\t{v}\n" for k, v in m.items())
    if word == "conf":
        return _conf(s), _conf_text(s)
    if word == "cons":
        lines = [_cons_line(c) for c in s.conns]
        return {"connections": lines}, "".join(x + "\n" for x in lines) + "\n"
    if word == "wchs":
        watchers = set(w.data.by_watcher) | set(w.child.by_watcher)
        paths = set(w.data.by_path) | set(w.child.by_path)
        total = w.data.count() + w.child.count()
        text = f"{len(watchers)} connections watching {len(paths)} paths\nTotal watches:{total}\n"
        return {
            "num_connections": len(watchers),
            "num_paths": len(paths),
            "num_total_watches": total,
        }, text
    if word == "dump":
        return {"dump": _dump_text(s)}, _dump_text(s)
    if word == "envi":
        env = _env()
        return env, "Environment:\n" + "".join(f"{k}={v}\n" for k, v in env.items())
    if word == "isro":
        ro = s.mode == READ_ONLY
        return {"read_only": ro}, "ro" if ro else "rw"
    if word == "srst":
        s.stats.reset(s.received, s.sent)
        return {}, "Server stats reset.\n"
    if word == "crst":
        base = s.stats.conn_base
        for c in s.conns:
            old = base.get(c.id, (0, 0))
            base[c.id] = (old[0] + c.received, old[1] + c.sent)
        return {}, "Connection stats reset.\n"
    if word in ("wchc", "wchp"):
        return _watch_lists(s, by_path=word == "wchp")
    if word == "dirs":
        sizes: dict[str, object] = {
            "datadir_size": _du(s.config.snap_dir),
            "logdir_size": _du(s.config.log_dir),
        }
        return sizes, "".join(f"{k}: {v}\n" for k, v in sizes.items())
    raise KeyError(word)


def _du(path: os.PathLike[str]) -> int:
    try:
        return sum(e.stat().st_size for e in os.scandir(path) if e.is_file())
    except OSError:
        return 0


def _watch_lists(s: ServerInfo, by_path: bool) -> tuple[dict[str, object], str]:
    """``wchc`` (paths per session) or ``wchp`` (sessions per path)."""
    w = s.core.tree.watches
    session = {c.id: f"0x{c.session_id & ((1 << 64) - 1):x}" for c in s.conns}
    table: dict[str, set[str]] = {}
    for t in (w.data, w.child):
        for watcher, paths in t.by_watcher.items():
            sid = session.get(watcher, f"0x{watcher:x}")
            for path in paths:
                key, value = (path, sid) if by_path else (sid, path)
                table.setdefault(key, set()).add(value)
    body = {k: sorted(v) for k, v in sorted(table.items())}
    text = "".join(k + "\n" + "".join(f"\t{x}\n" for x in v) for k, v in body.items())
    return {"path2session" if by_path else "session2path": body}, text
