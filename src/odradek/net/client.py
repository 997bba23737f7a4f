"""Outbound broker-to-broker connections: follower fetchers and the controller's requests.

:class:`BrokerClient` keeps one TCP connection to one broker, writes size-prefixed requests
(header + body, built by the caller with ``protocol.header.encode_request_header``) and matches
responses to requests by correlation id. It reconnects lazily on the next request after a
failure; every pending request of a broken connection fails with :class:`ConnectionError`.
Responses come back as ``memoryview`` of the frame *after* the correlation id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import struct
from collections.abc import Sequence

log = logging.getLogger(__name__)

_SIZE = struct.Struct(">i")
_CORRELATION = struct.Struct(">i")
MAX_RESPONSE_BYTES = 256 * 1024 * 1024
_READ_LIMIT = 16 * 1024 * 1024  # stream buffer: whole fetch responses without read pauses


class BrokerClient:
    """One connection to ``host:port``; ``request`` may be awaited concurrently (pipelined)."""

    def __init__(self, host: str, port: int, connect_timeout_s: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.connect_timeout_s = connect_timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[memoryview]] = {}
        self._ids = itertools.count(1)
        self._read_task: asyncio.Task[None] | None = None
        self._connecting: asyncio.Lock | None = None
        self.closed = False

    def next_correlation_id(self) -> int:
        return next(self._ids) & 0x7FFFFFFF

    async def _ensure(self) -> asyncio.StreamWriter:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._writer is not None and not self._writer.is_closing():
                return self._writer
            if self.closed:
                raise ConnectionError("client closed")
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=_READ_LIMIT),
                self.connect_timeout_s,
            )
            self._reader, self._writer = reader, writer
            self._read_task = asyncio.create_task(self._read_loop(reader, writer))
            return writer

    async def request(
        self, correlation_id: int, frame: Sequence[bytes | bytearray | memoryview], timeout_s: float
    ) -> memoryview:
        """Send header+body buffers (without size prefix); the response after its correlation id."""
        writer = await self._ensure()
        fut: asyncio.Future[memoryview] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = fut
        size = sum(len(b) for b in frame)
        writer.writelines([_SIZE.pack(size), *frame])
        try:
            return await asyncio.wait_for(fut, timeout_s)
        except TimeoutError:
            self._fail(writer, ConnectionError(f"request to {self.host}:{self.port} timed out"))
            raise ConnectionError(f"request to {self.host}:{self.port} timed out") from None
        finally:
            self._pending.pop(correlation_id, None)

    async def _read_loop(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        error: Exception = ConnectionError(f"connection to {self.host}:{self.port} closed")
        try:
            while True:
                head = await reader.readexactly(4)
                (size,) = _SIZE.unpack(head)
                if size < 4 or size > MAX_RESPONSE_BYTES:
                    error = ConnectionError(f"bad response size {size}")
                    break
                body = await reader.readexactly(size)
                (cid,) = _CORRELATION.unpack_from(body, 0)
                fut = self._pending.pop(cid, None)
                if fut is not None and not fut.done():
                    fut.set_result(memoryview(body)[4:])
        except (OSError, asyncio.IncompleteReadError) as exc:
            error = ConnectionError(f"connection to {self.host}:{self.port} lost: {exc}")
        finally:
            self._fail(writer, error)

    def _fail(self, writer: asyncio.StreamWriter, error: Exception) -> None:
        if self._writer is writer:
            self._writer = None
        writer.close()
        for fut in list(self._pending.values()):
            if not fut.done():
                fut.set_exception(error)
        self._pending.clear()

    async def close(self) -> None:
        self.closed = True
        writer = self._writer
        if writer is not None:
            self._fail(writer, ConnectionError("client closed"))
        task = self._read_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
