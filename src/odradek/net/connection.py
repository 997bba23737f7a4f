"""A framed connection on ``asyncio.BufferedProtocol``: size-prefixed frames in, replies out.

Receive path: bytes land in a preallocated buffer; a complete small frame is copied out once as
``bytes``; a frame larger than the buffer gets a dedicated ``bytearray`` of its exact size that the
kernel writes into directly, so large produce requests are never copied in user space.

Send path: the handler's reply is a list of buffers written with ``writelines`` without joining.
Replies leave in request order: a reply that is ready while an earlier one is still pending waits
in its slot. A frame larger than ``max_frame_bytes`` (``socket.request.max.bytes``) or a negative
size closes the connection, as Kafka does.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger(__name__)

Buffers = Sequence[bytes | bytearray | memoryview]
# A frame handler returns the reply buffers, None (no reply, e.g. acks=0) or an awaitable of either.
Reply = Buffers | None | Awaitable[Buffers | None]
FrameHandler = Callable[["FramedConnection", memoryview], Reply]

_SIZE = struct.Struct(">i")
_RECV_BUFFER = 256 * 1024
_JOIN_LIMIT = 16 * 1024


class FrameTooLarge(Exception):
    """The peer announced a frame bigger than allowed."""


class _Slot:
    __slots__ = ("done", "reply")

    def __init__(self) -> None:
        self.done = False
        self.reply: Buffers | None = None


class FramedConnection(asyncio.BufferedProtocol):
    """One client connection. ``handler`` is called once per complete frame, in order."""

    def __init__(self, handler: FrameHandler, max_frame_bytes: int) -> None:
        self.handler = handler
        self.max_frame_bytes = max_frame_bytes
        self.transport: asyncio.Transport | None = None
        self.peer: tuple[str, int] = ("", 0)
        self._buf = bytearray(_RECV_BUFFER)
        self._view = memoryview(self._buf)
        self._start = 0  # first unconsumed byte in _buf
        self._end = 0  # end of received bytes in _buf
        self._big: bytearray | None = None  # dedicated buffer of a large frame in progress
        self._big_filled = 0
        self._slots: deque[_Slot] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False
        self.state: dict[str, object] = {}  # per-connection state for the application

    # ------------------------------------------------------------------ asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.peer = (str(peer[0]), int(peer[1]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
        self._slots.clear()

    def get_buffer(self, sizehint: int) -> memoryview:
        if self._big is not None:
            return memoryview(self._big)[self._big_filled :]
        if self._end == len(self._buf):
            self._compact()
        return self._view[self._end :]

    def buffer_updated(self, nbytes: int) -> None:
        try:
            if self._big is not None:
                self._big_filled += nbytes
                if self._big_filled == len(self._big):
                    frame, self._big = self._big, None
                    self._dispatch(memoryview(frame))
            else:
                self._end += nbytes
            self._drain_frames()
        except FrameTooLarge as exc:
            log.warning("closing connection from %s:%s: %s", *self.peer, exc)
            self.close()

    def eof_received(self) -> bool | None:
        return None

    # ------------------------------------------------------------------ framing
    def _compact(self) -> None:
        pending = self._end - self._start
        if pending and self._start:
            self._buf[:pending] = self._buf[self._start : self._end]
        self._start, self._end = 0, pending

    def _drain_frames(self) -> None:
        while self._big is None and not self.closed:
            avail = self._end - self._start
            if avail < 4:
                break
            (size,) = _SIZE.unpack_from(self._buf, self._start)
            if size < 0 or size > self.max_frame_bytes:
                raise FrameTooLarge(f"frame of {size} bytes (limit {self.max_frame_bytes})")
            if avail >= 4 + size:
                begin = self._start + 4
                frame = bytes(self._view[begin : begin + size])
                self._start = begin + size
                self._dispatch(memoryview(frame))
                continue
            if 4 + size > len(self._buf):
                big = bytearray(size)
                have = avail - 4
                big[:have] = self._view[self._start + 4 : self._end]
                self._big, self._big_filled = big, have
                self._start = self._end = 0
            elif self._start + 4 + size > len(self._buf):
                self._compact()
            break
        if self._start == self._end:
            self._start = self._end = 0

    # ------------------------------------------------------------------ replies in order
    def _dispatch(self, frame: memoryview) -> None:
        reply = self.handler(self, frame)
        if reply is None:
            return
        if isinstance(reply, Awaitable):
            slot = _Slot()
            self._slots.append(slot)
            task = asyncio.ensure_future(self._await_reply(slot, reply))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        if not self._slots:
            self._write(reply)
            return
        slot = _Slot()
        slot.done, slot.reply = True, reply
        self._slots.append(slot)

    async def _await_reply(self, slot: _Slot, pending: Awaitable[Buffers | None]) -> None:
        try:
            slot.reply = await pending
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("request handler failed on connection from %s:%s", *self.peer)
            self.close()
            return
        slot.done = True
        while self._slots and self._slots[0].done:
            done = self._slots.popleft()
            if done.reply is not None:
                self._write(done.reply)

    def _write(self, buffers: Buffers) -> None:
        if self.transport is None or self.closed:
            return
        total = 0
        for b in buffers:
            total += len(b)
        if total <= _JOIN_LIMIT:
            # One small reply, one send: joining a few KB is cheaper than a vectored write.
            self.transport.write(b"".join((_SIZE.pack(total), *buffers)))
        else:
            # Large replies (fetch) go out as a vectored write; record buffers are not copied.
            self.transport.writelines([_SIZE.pack(total), *buffers])

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.closed = True
            self.transport.close()
