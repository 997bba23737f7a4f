"""Argument parsing and error reporting shared by the wire tools.

Every tool takes ``--bootstrap-server`` and ``--command-config``; failures become one line on
stderr and exit code 1, as with Kafka's bin/ tools.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from odradek.client.config import ClientError, client_config


class ToolParser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 1 instead of raising SystemExit(2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ClientError(message)


def tool_parser(prog: str, description: str) -> ToolParser:
    parser = ToolParser(prog=f"odradek {prog}", description=description)
    parser.add_argument(
        "--bootstrap-server", metavar="HOST:PORT", help="comma-separated broker addresses"
    )
    parser.add_argument(
        "--command-config", metavar="FILE", help="client properties file (security, client.id...)"
    )
    return parser


def connection_config(
    args: argparse.Namespace, overrides: dict[str, str] | None = None
) -> dict[str, str]:
    """Client properties from ``--command-config``, then ``overrides``, then the bootstrap flag."""
    return client_config(args.bootstrap_server, args.command_config, overrides)


def run_tool(body: Callable[[], int], prefix: str = "Error: ") -> int:
    """Run a tool body; ClientError → message on stderr, exit 1; Ctrl-C → exit 130."""
    try:
        return body()
    except ClientError as exc:
        print(f"{prefix}{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
