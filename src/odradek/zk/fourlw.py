"""Four-letter words and the AdminServer's JSON commands, computed from the core (pure).

Each command returns a dict (the AdminServer's JSON) and a text rendering (the 4lw reply on the
client port), using Apache ZooKeeper's field names so existing monitoring keeps working.
"""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import dataclass

from odradek.zk.config import ZkConfig
from odradek.zk.core import ZkCore

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
}


@dataclass(slots=True)
class ConnInfo:
    id: int
    peer: str
    received: int
    sent: int
    session_id: int
    timeout: int


@dataclass(slots=True)
class ServerInfo:
    core: ZkCore
    config: ZkConfig
    conns: list[ConnInfo]
    received: int
    sent: int
    mode: str = "standalone"


def _srvr_lines(s: ServerInfo) -> list[str]:
    return [
        "Latency min/avg/max: 0/0.0/0",
        f"Received: {s.received}",
        f"Sent: {s.sent}",
        f"Connections: {len(s.conns)}",
        "Outstanding: 0",
        f"Zxid: 0x{s.core.zxid:x}",
        f"Mode: {s.mode}",
        f"Node count: {len(s.core.tree.nodes)}",
    ]


def _cons_line(c: ConnInfo) -> str:
    sid = c.session_id & ((1 << 64) - 1)
    return f" /{c.peer}[1](queued=0,recved={c.received},sent={c.sent},sid=0x{sid:x},to={c.timeout})"


def _monitor(s: ServerInfo) -> dict[str, object]:
    tree = s.core.tree
    return {
        "version": VERSION,
        "avg_latency": 0.0,
        "max_latency": 0,
        "min_latency": 0,
        "packets_received": s.received,
        "packets_sent": s.sent,
        "num_alive_connections": len(s.conns),
        "outstanding_requests": 0,
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
    if word == "srvr":
        lines = _srvr_lines(s)
        return {"server_stats": lines}, f"Zookeeper version: {VERSION}\n" + "\n".join(lines) + "\n"
    if word == "stat":
        clients = "".join(_cons_line(c) + "\n" for c in s.conns)
        text = f"Zookeeper version: {VERSION}\nClients:\n{clients}\n" + "\n".join(_srvr_lines(s))
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
        return {"read_only": False}, "rw"
    raise KeyError(word)
