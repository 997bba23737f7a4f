"""Outbound broker-to-broker connections: follower fetchers and the controller's requests.

:class:`BrokerClient` keeps one TCP connection to one broker, writes size-prefixed requests
(header + body, built by the caller with ``protocol.header.encode_request_header``) and matches
responses to requests by correlation id. It reconnects lazily on the next request after a
failure; every pending request of a broken connection fails with :class:`ConnectionError`.
Responses come back as ``memoryview`` of the frame *after* the correlation id.

Receiving uses the same :class:`~odradek.net.connection.FramedConnection` as the server side: a
large response (a follower fetch of a MB) is read by the kernel straight into a ``bytearray`` of
its exact size, so the returned view is writable and no user-space copy is made; small responses
are copied once out of the shared receive buffer (read-only ``bytes``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import struct
from collections.abc import Sequence

from odradek.net.connection import FramedConnection

log = logging.getLogger(__name__)

_SIZE = struct.Struct(">i")
_CORRELATION = struct.Struct(">i")
MAX_RESPONSE_BYTES = 256 * 1024 * 1024


class _ClientConnection(FramedConnection):
    """A framed connection whose frames are responses; tells its client when it is lost."""

    def __init__(self, client: BrokerClient) -> None:
        super().__init__(client._on_frame, MAX_RESPONSE_BYTES)
        self.client = client

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        detail = f": {exc}" if exc is not None else ""
        self.client._lost(self, ConnectionError(f"connection to {self.client.addr} lost{detail}"))


class BrokerClient:
    """One connection to ``host:port``; ``request`` may be awaited concurrently (pipelined)."""

    def __init__(self, host: str, port: int, connect_timeout_s: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.connect_timeout_s = connect_timeout_s
        self._conn: _ClientConnection | None = None
        self._pending: dict[int, asyncio.Future[memoryview]] = {}
        self._ids = itertools.count(1)
        self._connecting: asyncio.Lock | None = None
        self.closed = False

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    def next_correlation_id(self) -> int:
        return next(self._ids) & 0x7FFFFFFF

    async def _ensure(self) -> _ClientConnection:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            conn = self._conn
            if conn is not None and not conn.closed:
                return conn
            if self.closed:
                raise ConnectionError("client closed")
            loop = asyncio.get_running_loop()
            _transport, fresh = await asyncio.wait_for(
                loop.create_connection(lambda: _ClientConnection(self), self.host, self.port),
                self.connect_timeout_s,
            )
            self._conn = fresh
            return fresh

    async def request(
        self, correlation_id: int, frame: Sequence[bytes | bytearray | memoryview], timeout_s: float
    ) -> memoryview:
        """Send header+body buffers (without size prefix); the response after its correlation id."""
        conn = await self._ensure()
        fut: asyncio.Future[memoryview] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = fut
        size = sum(len(b) for b in frame)
        assert conn.transport is not None
        conn.transport.writelines([_SIZE.pack(size), *frame])
        try:
            return await asyncio.wait_for(fut, timeout_s)
        except TimeoutError:
            error = ConnectionError(f"request to {self.addr} timed out")
            self._fail(conn, error)
            raise error from None
        finally:
            self._pending.pop(correlation_id, None)

    def _on_frame(self, conn: FramedConnection, frame: memoryview) -> None:
        if len(frame) < 4:
            self._fail(conn, ConnectionError(f"bad response size {len(frame)} from {self.addr}"))
            return None
        (cid,) = _CORRELATION.unpack_from(frame, 0)
        fut = self._pending.pop(cid, None)
        if fut is not None and not fut.done():
            fut.set_result(frame[4:])
        return None

    def _lost(self, conn: FramedConnection, error: Exception) -> None:
        if self._conn is conn:
            self._conn = None
        for fut in list(self._pending.values()):
            if not fut.done():
                fut.set_exception(error)
        self._pending.clear()

    def _fail(self, conn: FramedConnection, error: Exception) -> None:
        conn.close()
        self._lost(conn, error)

    async def close(self) -> None:
        self.closed = True
        conn = self._conn
        if conn is not None:
            self._fail(conn, ConnectionError("client closed"))
