"""Client configuration for the tools: bootstrap servers, ``--command-config`` files, ``k=v`` pairs.

Property names are librdkafka's, which match the Java client's for everything the tools use
(``bootstrap.servers``, ``security.protocol``, ``sasl.*``, ``client.id``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from odradek.common.config import load_properties


class ClientError(Exception):
    """A failure a tool reports to the user as one line on stderr (exit code 1)."""


def parse_pairs(items: Iterable[str], *, split_commas: bool = False) -> dict[str, str]:
    """Parse ``k=v`` strings (optionally each a comma-separated list of them) into a dict."""
    out: dict[str, str] = {}
    for item in items:
        parts = split_pairs(item) if split_commas else [item]
        for part in parts:
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise ClientError(f"Invalid property {part!r}: expected key=value")
            out[key.strip()] = value
    return out


def split_pairs(text: str) -> list[str]:
    """Split ``k=v,k2=[a,b]`` on commas outside square brackets (kafka-configs list syntax)."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def client_config(
    bootstrap: str | None,
    command_config: str | None = None,
    overrides: dict[str, str] | None = None,
) -> dict[str, str]:
    """Merge a properties file, then overrides, then ``--bootstrap-server`` (later wins)."""
    conf: dict[str, str] = {}
    if command_config:
        path = Path(command_config)
        if not path.is_file():
            raise ClientError(f"Config file {command_config} not found")
        conf.update(load_properties(path))
    conf.update(overrides or {})
    if bootstrap:
        conf["bootstrap.servers"] = bootstrap
    if not conf.get("bootstrap.servers"):
        raise ClientError("Missing required argument --bootstrap-server")
    return conf
