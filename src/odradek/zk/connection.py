"""One client connection: jute framing over ``asyncio.BufferedProtocol``.

Frames are ``int length | payload``; a length above ``jute.maxbuffer`` (or negative) closes the
connection. The first four bytes of a connection may instead be a four-letter word, answered in
text before closing. Whole frames go to the server's core in arrival order.
"""

from __future__ import annotations

import asyncio
import struct
from typing import TYPE_CHECKING

from odradek.zk.config import ALL_4LW

if TYPE_CHECKING:
    from odradek.zk.server import ZkServer

_LEN = struct.Struct(">i")
_WORDS = {w.encode("ascii") for w in ALL_4LW}


class ClientConnection(asyncio.BufferedProtocol):
    def __init__(self, server: ZkServer, conn_id: int) -> None:
        self.server = server
        self.id = conn_id
        self.buf = bytearray(64 * 1024)
        self.start = 0
        self.end = 0
        self.transport: asyncio.Transport | None = None
        self.peer = ""
        self.first = True
        self.closing = False
        self.sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        if not self.server.accept(self, peer[0] if peer else ""):
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.lost(self)

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.end == len(self.buf):
            if self.start > 0:
                live = self.end - self.start
                self.buf[:live] = self.buf[self.start : self.end]
                self.start, self.end = 0, live
            else:
                self.buf.extend(bytes(len(self.buf)))
        return memoryview(self.buf)[self.end :]

    def buffer_updated(self, nbytes: int) -> None:
        self.end += nbytes
        buf, max_len = self.buf, self.server.max_frame
        frames: list[bytes] = []
        while self.end - self.start >= 4 and not self.closing:
            if self.first and bytes(buf[self.start : self.start + 4]) in _WORDS:
                self.server.four_letter(self, bytes(buf[self.start : self.start + 4]).decode())
                self.closing = True
                break
            (n,) = _LEN.unpack_from(buf, self.start)
            if n < 0 or n > max_len:
                self.server.log.warning("conn %s: frame of %d bytes refused, closing", self.peer, n)
                self.abort()
                break
            if self.end - self.start < 4 + n:
                break
            frames.append(bytes(buf[self.start + 4 : self.start + 4 + n]))
            self.start += 4 + n
            self.first = False
        if self.start == self.end:
            self.start = self.end = 0
        if frames:
            self.server.frames(self, frames)

    def pause_writing(self) -> None:
        """The client does not read its replies: stop reading its requests meanwhile."""
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()

    def write(self, chunks: list[bytes]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.sent += len(chunks)
            self.transport.writelines(chunks)

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.abort()
