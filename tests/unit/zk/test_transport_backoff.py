"""A quorum frame sent during the back-off after a failed connect still reaches the peer.

A restarted follower's FollowerInfo can arrive at the leader within 100 ms of the leader's last
failed connect to it; the answer (LeaderInfo) used to be dropped in that window and the follower
waited ``initLimit`` ticks before trying again.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from odradek.zk.ensemble.transport import Link


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _scenario() -> list[tuple[int, bytes]]:
    port = _free_port()
    link = Link("127.0.0.1", port)
    link.send(b"lost")  # nobody listens: the connect fails and the back-off starts
    for _ in range(100):
        await asyncio.sleep(0.005)
        if not link.connecting:
            break
    loop = asyncio.get_running_loop()
    assert not link.connecting
    link.retry_at = loop.time() + 0.2  # a longer back-off, so the next send falls inside it
    received: list[tuple[int, bytes]] = []
    got = asyncio.Event()

    async def accept(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        size, seq = struct.unpack(">iq", await r.readexactly(12))
        received.append((seq, await r.readexactly(size - 8)))
        got.set()
        w.close()

    server = await asyncio.start_server(accept, "127.0.0.1", port)
    try:
        link.send(b"answer")  # inside the back-off window
        await asyncio.wait_for(got.wait(), 3.0)
    finally:
        link.close()
        server.close()
        await server.wait_closed()
    return received


def test_frame_sent_during_backoff_is_delivered_after_it() -> None:
    assert asyncio.run(_scenario()) == [(1, b"answer")]
