"""A small AdminServer-like HTTP endpoint: ``GET /commands/<name>`` returns the command as JSON.

Names are the AdminServer's (``monitor``, ``server_stats``, ``configuration``, ...) or the
four-letter words themselves; ``GET /commands`` lists them. HTTP/1.0 style: one request per
connection, bounded request size.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

from odradek.zk import fourlw

MAX_REQUEST = 8192


def resolve(name: str) -> str | None:
    for word, long_name in fourlw.COMMAND_ALIASES.items():
        if name in (word, long_name):
            return word
    return None


def respond(path: str, info: Callable[[], fourlw.ServerInfo]) -> tuple[int, dict[str, object]]:
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts == ["commands"]:
        return 200, {"commands": sorted(fourlw.COMMAND_ALIASES.values()), "error": None}
    if len(parts) == 2 and parts[0] == "commands":
        word = resolve(parts[1])
        if word is not None:
            body, _text = fourlw.run(word, info())
            return 200, {**body, "command": fourlw.COMMAND_ALIASES[word], "error": None}
        return 404, {"command": parts[1], "error": "Unknown command: " + parts[1]}
    return 404, {"error": "not found"}


async def _handle(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    info: Callable[[], fourlw.ServerInfo],
) -> None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
        if len(head) > MAX_REQUEST:
            raise ValueError("request too large")
        method, path, _ver = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        status, body = respond(path, info) if method == "GET" else (405, {"error": "GET only"})
        payload = json.dumps(body, indent=2, default=str).encode()
        reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}[status]
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
    except (ValueError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            TimeoutError):  # fmt: skip
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.close()


async def start_admin(
    host: str, port: int, info: Callable[[], fourlw.ServerInfo]
) -> asyncio.Server:
    return await asyncio.start_server(
        lambda r, w: _handle(r, w, info), host, port, limit=MAX_REQUEST
    )
