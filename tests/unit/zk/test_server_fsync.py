"""Where a live server fsyncs its txn log: on the loop thread while recent fsyncs were quick,
in the worker thread once they are slow (and for the first 16, while the disk is timed); the
reply to a write leaves only after its fsync either way."""

from __future__ import annotations

import asyncio
import struct
import threading
from pathlib import Path

import pytest
from zk_wire import connect_frame, create_body, req

from odradek.zk import server as server_mod
from odradek.zk.codes import Op
from odradek.zk.config import ZkConfig
from odradek.zk.server import ZkServer


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (n,) = struct.unpack(">i", await reader.readexactly(4))
    return await reader.readexactly(n)


async def _create_and_record(
    tmp_path: Path, fsync_avg: float, fsyncs: int, seen: list[str]
) -> None:
    server = ZkServer(ZkConfig(data_dir=tmp_path, client_port=0, client_port_address="127.0.0.1"))
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        frame = connect_frame(10000)
        writer.write(struct.pack(">i", len(frame)) + frame)
        await _read_frame(reader)
        server.fsync_avg, server.fsyncs = fsync_avg, fsyncs
        seen.clear()
        body = req(7, Op.CREATE, create_body("/f", b"v"))
        writer.write(struct.pack(">i", len(body)) + body)
        reply = await _read_frame(reader)
        assert struct.unpack_from(">iqi", reply) == (7, reply_zxid(reply), 0)
        assert seen, "the reply left before any fsync"
        writer.close()
    finally:
        await server.stop()


def reply_zxid(reply: bytes) -> int:
    return int(struct.unpack_from(">q", reply, 4)[0])


@pytest.mark.parametrize(
    ("fsync_avg", "fsyncs", "thread"),
    [(0.0, 100, "MainThread"), (1.0, 100, "zk-fsync"), (0.0, 3, "zk-fsync")],
)
def test_fsync_thread_follows_recent_fsync_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync_avg: float, fsyncs: int, thread: str
) -> None:
    seen: list[str] = []
    real = server_mod.datasync

    def recording(fd: int) -> None:
        seen.append(threading.current_thread().name)
        real(fd)

    monkeypatch.setattr(server_mod, "datasync", recording)
    asyncio.run(asyncio.wait_for(_create_and_record(tmp_path, fsync_avg, fsyncs, seen), 20))
    assert seen and all(name.startswith(thread) for name in seen)
