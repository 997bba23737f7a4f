"""Interleaved latency of ZooKeeper-protocol servers with a raw client: per round, one setData,
one getData and one watch round (A's data watch, B's setData, until A reads the event) on each
server in turn, so every server sees the same moment of a shared, noisy machine.

usage: python bench/zk_interleaved.py ROUNDS apache=127.0.0.1:2181 odradek=127.0.0.1:2182
Prints p50/p99 in ms per server and figure. Bounded by ROUNDS; contacts only the given hosts.
"""

from __future__ import annotations

import struct
import sys
import time
import uuid

from zk_raw_bench import Conn, create_req, ustr


def set_req(xid: int, path: str) -> bytes:
    return (
        struct.pack(">ii", xid, 5)
        + ustr(path)
        + struct.pack(">i", 1)
        + b"v"
        + struct.pack(">i", -1)
    )


def get_req(xid: int, path: str, watch: bool) -> bytes:
    return struct.pack(">ii", xid, 4) + ustr(path) + (b"\x01" if watch else b"\x00")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))] * 1000


def main(rounds: int, servers: list[tuple[str, str]]) -> None:
    state = {}
    for name, hostport in servers:
        a, b = Conn(hostport), Conn(hostport)
        path = "/interleaved-" + uuid.uuid4().hex[:8]
        b.send(create_req(1, path, b""))
        b.frame()
        state[name] = (a, b, path, {"set": [], "get": [], "watch": []})
    for i in range(10, rounds + 10):
        for name, _ in servers:
            a, b, path, t = state[name]
            t0 = time.perf_counter()
            b.send(set_req(i, path))
            b.frame()
            t["set"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            b.send(get_req(i, path, False))
            b.frame()
            t["get"].append(time.perf_counter() - t0)
            a.send(get_req(i, path, True))
            a.frame()
            t0 = time.perf_counter()
            b.send(set_req(i + rounds + 10, path))
            a.frame()  # the NodeDataChanged event
            t["watch"].append(time.perf_counter() - t0)
            b.frame()
    for name, _ in servers:
        a, b, _path, t = state[name]
        cells = [f"{k} p50={pct(v, 0.5):.3f} p99={pct(v, 0.99):.2f}" for k, v in t.items()]
        print(f"{name:10s} " + "  ".join(cells))
        a.close()
        b.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), [tuple(a.split("=", 1)) for a in sys.argv[2:]])  # type: ignore[misc]
