"""Request latency, packet counters and outstanding requests of a live in-process ZkServer,
as ``srvr``/``mntr`` report them, and ``srst``; plus the latency summary arithmetic."""

from __future__ import annotations

import asyncio
import re
import struct
from pathlib import Path

from zk_wire import connect_frame, create_body, path_watch, req

from odradek.zk import fourlw
from odradek.zk.codes import Op
from odradek.zk.config import ZkConfig
from odradek.zk.server import ZkServer
from odradek.zk.stats import Latency, ServerStats


def test_latency_summary_percentiles_and_reset() -> None:
    lat = Latency()
    assert lat.summary("readlatency")["p99_readlatency"] == 0 and lat.low() == 0
    for ms in range(1, 101):
        lat.add(ms * 1_000_000)
    s = lat.summary("readlatency")
    assert s["cnt_readlatency"] == 100 and s["sum_readlatency"] == 5050
    assert (s["min_readlatency"], s["max_readlatency"], s["avg_readlatency"]) == (1, 100, 50.5)
    assert (s["p50_readlatency"], s["p95_readlatency"], s["p99_readlatency"]) == (50, 95, 99)
    stats = ServerStats()
    stats.add(2_500_000, update=True)
    stats.add(500_000, update=False)
    assert stats.update.count == 1 and stats.read.count == 1
    assert (stats.request.count, stats.request.high(), stats.request.avg) == (2, 2, 1.5)
    stats.reset(received=7, sent=5)
    assert stats.request.count == 0 and (stats.base_received, stats.base_sent) == (7, 5)


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (n,) = struct.unpack(">i", await reader.readexactly(4))
    return await reader.readexactly(n)


def _mntr(server: ZkServer) -> dict[str, str]:
    text = fourlw.run("mntr", server.info())[1]
    return dict(line.split("\t", 1) for line in text.splitlines())


async def _exercise(tmp_path: Path) -> None:
    cfg = ZkConfig(data_dir=tmp_path, client_port=0, client_port_address="127.0.0.1")
    server = ZkServer(cfg)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(struct.pack(">i", len(frame := connect_frame(10000))) + frame)
        await _read_frame(reader)
        body = req(1, Op.CREATE, create_body("/k", b"v"))
        writer.write(struct.pack(">i", len(body)) + body)
        reply = asyncio.create_task(_read_frame(reader))
        waiting = 0
        queued = ""
        while not reply.done():  # the create waits for its fsync: it is outstanding meanwhile
            if server.info().outstanding:
                waiting = server.info().outstanding
                queued = fourlw.run("cons", server.info())[1]
            await asyncio.sleep(0)
        assert waiting == 1 and "(queued=1,recved=2," in queued
        for xid in range(2, 12):
            body = req(xid, Op.GET_DATA, path_watch("/k"))
            writer.write(struct.pack(">i", len(body)) + body)
        for _ in range(10):
            await _read_frame(reader)
        m = _mntr(server)
        assert m["zk_outstanding_requests"] == "0"
        assert m["zk_packets_received"] == "12" and m["zk_packets_sent"] == "12"
        assert m["zk_num_alive_connections"] == "1"
        assert m["zk_cnt_updatelatency"] == "2"  # the session and the create
        assert m["zk_cnt_readlatency"] == "10"
        assert float(m["zk_avg_latency"]) > 0
        assert int(m["zk_max_latency"]) >= int(m["zk_min_latency"]) >= 0
        srvr = fourlw.run("srvr", server.info())[1]
        lo, avg, hi = re.search(r"Latency min/avg/max: (\d+)/([\d.]+)/(\d+)", srvr).groups()  # type: ignore[union-attr]
        assert float(avg) == float(m["zk_avg_latency"]) and int(lo) <= int(hi)
        assert "Outstanding: 0" in srvr and "Received: 12" in srvr
        assert "(queued=0,recved=12,sent=12," in fourlw.run("cons", server.info())[1]
        assert fourlw.run("crst", server.info())[1] == "Connection stats reset.\n"
        assert "(queued=0,recved=0,sent=0," in fourlw.run("cons", server.info())[1]
        assert fourlw.run("srst", server.info())[1] == "Server stats reset.\n"
        m = _mntr(server)
        assert m["zk_cnt_readlatency"] == "0" and m["zk_avg_latency"] == "0.0"
        assert m["zk_packets_received"] == "0" and m["zk_packets_sent"] == "0"
        body = req(12, Op.EXISTS, path_watch("/k"))
        writer.write(struct.pack(">i", len(body)) + body)
        await _read_frame(reader)
        m = _mntr(server)
        assert m["zk_packets_received"] == "1" and m["zk_cnt_readlatency"] == "1"
        writer.close()
    finally:
        await server.stop()


def test_live_server_reports_real_latency_and_counters(tmp_path: Path) -> None:
    asyncio.run(asyncio.wait_for(_exercise(tmp_path), 20))
