"""``odradek zk-shell``: operate on znodes of any ZooKeeper-protocol server (via kazoo).

Commands, modelled on zkCli.sh: ``ls PATH``, ``get PATH``, ``set PATH DATA [-v VERSION]``,
``create PATH [DATA] [-e] [-s]``, ``delete PATH [-v VERSION]``, ``stat PATH``, ``getAcl PATH``.
``--auth user:password`` adds a digest identity first. Exit status 0 on success, 1 on a
ZooKeeper error (printed as zkCli does, e.g. ``Node does not exist: /x``), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    KazooException,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
)

STAT_FIELDS = [
    ("cZxid", "czxid", True),
    ("ctime", "ctime", False),
    ("mZxid", "mzxid", True),
    ("mtime", "mtime", False),
    ("pZxid", "pzxid", True),
    ("cversion", "cversion", False),
    ("dataVersion", "version", False),
    ("aclVersion", "aversion", False),
    ("ephemeralOwner", "ephemeralOwner", True),
    ("dataLength", "dataLength", False),
    ("numChildren", "numChildren", False),
]


def format_stat(stat: Any) -> str:
    lines = []
    for label, attr, as_hex in STAT_FIELDS:
        value = getattr(stat, attr)
        lines.append(f"{label} = {hex(value & (2**64 - 1)) if as_hex else value}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="odradek zk-shell", description=__doc__.splitlines()[0])
    p.add_argument("--server", default="127.0.0.1:2181", help="HOST:PORT[,HOST:PORT...]")
    p.add_argument("--timeout", type=float, default=10.0, help="connect timeout (s)")
    p.add_argument("--auth", action="append", default=[], help="digest user:password")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("ls", "get", "stat", "getAcl"):
        sub.add_parser(name).add_argument("path")
    s = sub.add_parser("set")
    s.add_argument("path")
    s.add_argument("data")
    s.add_argument("-v", "--version", type=int, default=-1)
    c = sub.add_parser("create")
    c.add_argument("path")
    c.add_argument("data", nargs="?", default="")
    c.add_argument("-e", "--ephemeral", action="store_true")
    c.add_argument("-s", "--sequential", action="store_true")
    d = sub.add_parser("delete")
    d.add_argument("path")
    d.add_argument("-v", "--version", type=int, default=-1)
    return p


def run_command(zk: KazooClient, args: argparse.Namespace, out: Callable[[str], None]) -> None:
    if args.cmd == "ls":
        out("[" + ", ".join(sorted(zk.get_children(args.path))) + "]")
    elif args.cmd == "get":
        data, _stat = zk.get(args.path)
        out(data.decode("utf-8", "replace"))
    elif args.cmd == "stat":
        stat = zk.exists(args.path)
        if stat is None:
            raise NoNodeError()
        out(format_stat(stat))
    elif args.cmd == "getAcl":
        acls, _stat = zk.get_acls(args.path)
        for a in acls:
            out(f"'{a.id.scheme},'{a.id.id}\n: {''.join(p[0].lower() for p in a.acl_list)}")
    elif args.cmd == "set":
        zk.set(args.path, args.data.encode(), version=args.version)
    elif args.cmd == "create":
        path = zk.create(
            args.path, args.data.encode(), ephemeral=args.ephemeral, sequence=args.sequential
        )
        out(f"Created {path}")
    elif args.cmd == "delete":
        zk.delete(args.path, version=args.version)


ERRORS: list[tuple[type[Exception], str]] = [
    (NoNodeError, "Node does not exist"),
    (NodeExistsError, "Node already exists"),
    (NotEmptyError, "Node not empty"),
    (BadVersionError, "version No is not valid"),
    (NoAuthError, "Insufficient permission"),
]


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    zk = KazooClient(hosts=args.server, timeout=args.timeout)
    try:
        zk.start(timeout=args.timeout)
    except KazooException as exc:
        print(f"cannot connect to {args.server}: {exc}", file=sys.stderr)
        return 1
    try:
        for auth in args.auth:
            zk.add_auth("digest", auth)
        run_command(zk, args, print)
        return 0
    except KazooException as exc:
        label = next((text for kind, text in ERRORS if isinstance(exc, kind)), type(exc).__name__)
        print(f"{label}: {args.path}", file=sys.stderr)
        return 1
    finally:
        zk.stop()
        zk.close()
