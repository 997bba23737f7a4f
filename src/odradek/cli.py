"""The ``odradek`` command: one subcommand per server or tool.

Each subcommand lives in its own module exposing ``main(argv: list[str]) -> int``; this file only
dispatches, so starting a tool never imports the servers it does not need.
"""

from __future__ import annotations

import importlib
import sys

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("odradek.broker.main", "start a broker"),
    "zk": ("odradek.zk.main", "start a ZooKeeper-compatible coordination server"),
    "cluster": ("odradek.broker.cluster_main", "start a local multi-broker cluster (and zk)"),
    "reassign": ("odradek.tools.reassign", "generate, execute and verify partition reassignments"),
    "leader-election": ("odradek.tools.leader_election", "elect preferred or unclean leaders"),
    "zk-shell": ("odradek.tools.zk_shell", "operate on znodes of a ZooKeeper-protocol server"),
    "topics": ("odradek.tools.topics", "create, list, describe, alter and delete topics"),
    "produce": ("odradek.tools.produce", "console producer"),
    "consume": ("odradek.tools.consume", "console consumer"),
    "groups": ("odradek.tools.groups", "list, describe, reset and delete consumer groups"),
    "configs": ("odradek.tools.configs", "describe and alter topic and broker configs"),
    "dump-log": ("odradek.tools.dump_log", "decode log segment and index files"),
    "transactions": ("odradek.tools.transactions", "list, describe and abort transactions"),
}


def usage() -> str:
    lines = ["usage: odradek <command> [options]", "", "commands:"]
    lines += [f"  {name:<14}{doc}" for name, (_m, doc) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    entry = SUBCOMMANDS.get(args[0])
    if entry is None:
        print(f"odradek: unknown command {args[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(entry[0])
    except ModuleNotFoundError as exc:
        if exc.name and entry[0].startswith(exc.name):
            print(f"odradek: command {args[0]!r} is not available in this build", file=sys.stderr)
            return 2
        raise
    code: int = module.main(args[1:])
    return code


if __name__ == "__main__":
    sys.exit(main())
