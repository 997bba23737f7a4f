"""An asyncio TCP server of framed connections, on uvloop when it is installed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from odradek.net.connection import FramedConnection, FrameHandler

log = logging.getLogger(__name__)


def install_uvloop() -> bool:
    """Use uvloop's event loop policy if the package is importable."""
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


class FramedServer:
    """Listens on ``host:port``; every connection dispatches frames to ``handler``."""

    def __init__(self, handler: FrameHandler, max_frame_bytes: int) -> None:
        self.handler = handler
        self.max_frame_bytes = max_frame_bytes
        self.connections: set[FramedConnection] = set()
        self._server: asyncio.base_events.Server | None = None

    def _make_protocol(self) -> FramedConnection:
        conn = _TrackedConnection(self, self.handler, self.max_frame_bytes)
        return conn

    async def start(self, host: str, port: int) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._make_protocol, host, port, reuse_address=True, backlog=1024
        )
        sock = self._server.sockets[0]
        bound: int = sock.getsockname()[1]
        log.info("listening on %s:%d", host, bound)
        return bound

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close()
        if self._server is not None:
            await self._server.wait_closed()


class _TrackedConnection(FramedConnection):
    def __init__(self, owner: FramedServer, handler: FrameHandler, max_frame_bytes: int) -> None:
        super().__init__(handler, max_frame_bytes)
        self._owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._owner.connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            import socket

            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._owner.connections.discard(self)
