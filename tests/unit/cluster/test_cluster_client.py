"""BrokerClient: pipelined requests matched by correlation id, large responses read without a copy
into writable buffers, pending requests failed on connection loss, reconnect on the next request."""

from __future__ import annotations

import asyncio
import struct

import pytest

from odradek.net.client import BrokerClient

_I32 = struct.Struct(">i")


async def _server(sizes: dict[int, int], drop_after: int | None = None) -> asyncio.Server:
    """Answers each request (4-byte correlation id, 4-byte tag) with ``sizes[tag]`` bytes of the
    tag's low byte; replies go out in reverse order of each pair of requests to test matching."""

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        served = 0
        held: list[bytes] = []
        try:
            while True:
                (n,) = _I32.unpack(await r.readexactly(4))
                body = await r.readexactly(n)
                cid, tag = struct.unpack(">ii", body[:8])
                if drop_after is not None and served >= drop_after:
                    w.close()
                    return
                served += 1
                payload = _I32.pack(cid) + bytes([tag & 0xFF]) * sizes[tag]
                held.append(_I32.pack(len(payload)) + payload)
                if len(held) == 2:
                    for frame in reversed(held):
                        w.write(frame)
                    held.clear()
                    await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_pipelined_small_and_large_responses() -> None:
    async def run() -> list[tuple[int, int, bool, bool]]:
        server = await _server({1: 10, 2: 3 * 1024 * 1024})
        port = server.sockets[0].getsockname()[1]
        client = BrokerClient("127.0.0.1", port)
        try:
            out = []
            for _ in range(3):
                reqs = []
                for tag in (1, 2):
                    cid = client.next_correlation_id()
                    reqs.append(client.request(cid, [_I32.pack(cid), _I32.pack(tag)], 5.0))
                for tag, resp in zip((1, 2), await asyncio.gather(*reqs), strict=True):
                    uniform = bytes(resp) == bytes([tag]) * len(resp)
                    out.append((tag, len(resp), uniform, not resp.readonly))
            return out
        finally:
            await client.close()
            server.close()

    results = asyncio.run(run())
    assert len(results) == 6
    for tag, size, uniform, writable in results:
        assert uniform
        assert size == (10 if tag == 1 else 3 * 1024 * 1024)
        if tag == 2:
            assert writable  # read straight into its own buffer, usable in place


def test_connection_loss_fails_pending_and_next_request_reconnects() -> None:
    async def run() -> tuple[type[BaseException], int]:
        server = await _server({1: 5}, drop_after=0)
        port = server.sockets[0].getsockname()[1]
        client = BrokerClient("127.0.0.1", port)
        try:
            cid = client.next_correlation_id()
            with pytest.raises(ConnectionError) as info:
                await client.request(cid, [_I32.pack(cid), _I32.pack(1)], 5.0)
            server.close()
            await server.wait_closed()
            ok = await _server({1: 5, 2: 7})
            client.port = ok.sockets[0].getsockname()[1]
            got = []
            for tag in (1, 2):  # the server answers requests in pairs
                cid = client.next_correlation_id()
                got.append(client.request(cid, [_I32.pack(cid), _I32.pack(tag)], 5.0))
            sizes = [len(r) for r in await asyncio.gather(*got)]
            ok.close()
            return info.type, sum(sizes)
        finally:
            await client.close()

    error, size = asyncio.run(run())
    assert error is ConnectionError
    assert size == 12


def test_timeout_raises_connection_error() -> None:
    async def run() -> type[BaseException]:
        server = await _server({1: 5})  # answers only pairs: a single request never completes
        port = server.sockets[0].getsockname()[1]
        client = BrokerClient("127.0.0.1", port)
        try:
            cid = client.next_correlation_id()
            with pytest.raises(ConnectionError) as info:
                await client.request(cid, [_I32.pack(cid), _I32.pack(1)], 0.2)
            return info.type
        finally:
            await client.close()
            server.close()

    assert asyncio.run(run()) is ConnectionError
