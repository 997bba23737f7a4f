"""Peer links over TCP (asyncio): one outbound connection per peer and port, FIFO.

Frames are ``length:int seq:long`` then a quorum message (:mod:`messages`). Votes travel to a
peer's election port, Zab traffic to its peer port. Each link numbers its frames; while a link
is down frames are dropped (their numbers still used), so the receiver sees a gap and reports
it (``on_gap``) — exactly the loss of a broken connection, never a silent hole in a stream.
A new incarnation of a sender starts again at 0, which is a gap too (but the first frame a
receiver ever hears from a sender is not). An outbound link is dropped as soon as its peer
closes it (EOF), so a frame is never written into a half-closed connection to a dead peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import struct
from collections.abc import Callable

from odradek.zk.ensemble.messages import Message, Vote, decode, encode
from odradek.zk.jute import JuteError

_FRAME = struct.Struct(">iq")
MAX_FRAME = 1 << 30
log = logging.getLogger("odradek.zk.quorum")

Deliver = Callable[[int, int, Message, bool], None]  # sender, epoch, msg, gap


class Link:
    """Frames to one (host, port): connect lazily, reconnect after a failure."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.seq = 0
        self.writer: asyncio.StreamWriter | None = None
        self.connecting = False
        self.retry_at = 0.0
        self.task: asyncio.Task[None] | None = None
        self.backlog: list[bytes] = []

    def send(self, frame: bytes) -> None:
        head = _FRAME.pack(len(frame) + 8, self.seq)
        self.seq += 1
        w = self.writer
        if w is not None and not w.is_closing():
            w.write(head + frame)
            return
        self.writer = None
        if self.connecting:
            if len(self.backlog) < 10000:
                self.backlog.append(head + frame)  # else lost: the receiver sees the gap
            return
        # within the back-off after a failed connect the frame waits for the next attempt
        # instead of being dropped: a peer that has just restarted (the failure) must still
        # get the answer to its first message, which nothing would send again
        loop = asyncio.get_running_loop()
        self.connecting = True
        self.backlog = [head + frame]
        self.task = loop.create_task(self._connect(self.retry_at - loop.time()))

    async def _connect(self, delay: float = 0.0) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 1.0)
            with contextlib.suppress(OSError):
                sock = w.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            w.write(b"".join(self.backlog))
            self.writer = w
            self.task = asyncio.get_running_loop().create_task(self._watch(r, w))
        except (TimeoutError, OSError):
            self.retry_at = asyncio.get_running_loop().time() + 0.1
        finally:
            self.backlog = []
            self.connecting = False

    async def _watch(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        """The peer never writes on this link: EOF means it closed (or died). Drop the link at
        once, so the next frame goes over a new connection instead of a half-closed one."""
        with contextlib.suppress(OSError, ConnectionError):
            await r.read()
        w.close()
        if self.writer is w:
            self.writer = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Transport:
    def __init__(
        self, my_id: int, peers: dict[int, tuple[str, int, int]], deliver: Deliver
    ) -> None:
        self.my_id = my_id
        self.deliver = deliver
        self.links: dict[tuple[int, bool], Link] = {}
        for sid, (host, peer_port, election_port) in peers.items():
            if sid != my_id:
                self.links[(sid, True)] = Link(host, election_port)
                self.links[(sid, False)] = Link(host, peer_port)
        self.expected: dict[tuple[int, bool], int] = {}
        self.servers: list[asyncio.Server] = []
        self.readers: set[asyncio.StreamWriter] = set()
        self.on_closed: Callable[[int], None] | None = None  # a peer's Zab link ended

    async def listen(self, host: str, peer_port: int, election_port: int) -> None:
        for port, is_vote in ((election_port, True), (peer_port, False)):
            handler = functools.partial(self._accept, vote=is_vote)
            srv = await asyncio.start_server(handler, host, port, reuse_address=True)
            self.servers.append(srv)

    def send(self, to: int, epoch: int, msg: Message) -> None:
        is_vote = isinstance(msg, Vote)
        link = self.links.get((to, is_vote))
        if link is not None:
            link.send(encode(self.my_id, epoch, msg))

    async def _accept(self, r: asyncio.StreamReader, w: asyncio.StreamWriter, vote: bool) -> None:
        self.readers.add(w)
        sender = -1
        try:
            while True:
                size, seq = _FRAME.unpack(await r.readexactly(_FRAME.size))
                if not 8 <= size <= MAX_FRAME:
                    break
                body = await r.readexactly(size - 8)
                sender, epoch, msg = decode(body)
                key = (sender, vote)
                # the first frame this process hears from a sender cannot follow a lost one
                gap = key in self.expected and self.expected[key] != seq
                self.expected[key] = seq + 1
                self.deliver(sender, epoch, msg, gap and not vote)
        except (asyncio.IncompleteReadError, ConnectionError, JuteError, OSError) as exc:
            log.debug("peer link closed: %s", exc)
        finally:
            w.close()
            self.readers.discard(w)
            if not vote and sender >= 0 and self.on_closed is not None:
                self.on_closed(sender)

    def close(self) -> None:
        for srv in self.servers:
            srv.close()
        for link in self.links.values():
            link.close()
        for w in list(self.readers):
            w.close()
