"""Server-bound ZooKeeper benchmark with a minimal raw-protocol client (no kazoo overhead).

Measures, against each given server in turn (alternating per repetition):
  seq_set / seq_get   one request at a time (setData is fsync-bound), ops/s
  pipe_create         --pipeline creates in flight on one connection, ops/s
  watch_p50/p99       client B setData -> client A receives the NodeDataChanged event, ms

usage: zk_raw_bench.py --server apache=127.0.0.1:2181 --server odradek=127.0.0.1:2182 --reps 5
Prints one JSON object per measurement, then a median table. Every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import struct
import threading
import time
import uuid

ACL = struct.pack(">ii", 1, 31)


def ustr(s: str) -> bytes:
    raw = s.encode()
    return struct.pack(">i", len(raw)) + raw


OPEN_ACL = ACL + ustr("world") + ustr("anyone")


class Conn:
    def __init__(self, hostport: str) -> None:
        host, _, port = hostport.rpartition(":")
        self.s = socket.create_connection((host, int(port)), timeout=30)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.send(struct.pack(">iqiqi", 0, 0, 10000, 0, 16) + bytes(16) + b"\0")
        self.frame()

    def send(self, payload: bytes) -> None:
        self.s.sendall(struct.pack(">i", len(payload)) + payload)

    def _exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out

    def frame(self) -> bytes:
        (n,) = struct.unpack(">i", self._exact(4))
        return self._exact(n)

    def close(self) -> None:
        self.s.close()


def create_req(xid: int, path: str, data: bytes) -> bytes:
    body = ustr(path) + struct.pack(">i", len(data)) + data + OPEN_ACL + struct.pack(">i", 0)
    return struct.pack(">ii", xid, 1) + body


def seq(hostport: str, root: str, n: int) -> dict[str, float]:
    c = Conn(hostport)
    path = root + "/seq"
    c.send(create_req(1, path, b""))
    c.frame()
    out = {}
    for name, make in (
        ("seq_set", lambda i: struct.pack(">ii", i, 5) + ustr(path)
         + struct.pack(">i", 100) + b"x" * 100 + struct.pack(">i", -1)),
        ("seq_get", lambda i: struct.pack(">ii", i, 4) + ustr(path) + b"\0"),
    ):  # fmt: skip
        t0 = time.perf_counter()
        for i in range(2, n + 2):
            c.send(make(i))
            c.frame()
        out[name] = n / (time.perf_counter() - t0)
    c.close()
    return out


def pipelined_creates(hostport: str, root: str, n: int, window: int) -> float:
    c = Conn(hostport)
    reqs = [create_req(i + 1, f"{root}/p{i}", b"x" * 100) for i in range(n)]
    sem = threading.Semaphore(window)

    def reader() -> None:
        for _ in range(n):
            c.frame()
            sem.release()

    t0 = time.perf_counter()
    th = threading.Thread(target=reader)
    th.start()
    for r in reqs:
        sem.acquire()
        c.send(r)
    th.join(120)
    rate = n / (time.perf_counter() - t0)
    c.close()
    return rate


def watch_latency(hostport: str, root: str, rounds: int) -> tuple[float, float]:
    a, b = Conn(hostport), Conn(hostport)
    path = root + "/w"
    b.send(create_req(1, path, b""))
    b.frame()
    lat = []
    for i in range(rounds):
        a.send(struct.pack(">ii", i + 10, 4) + ustr(path) + b"\x01")
        a.frame()
        t0 = time.perf_counter()
        b.send(struct.pack(">ii", i + 10, 5) + ustr(path) + struct.pack(">i", 1) + b"v"
               + struct.pack(">i", -1))  # fmt: skip
        event = a.frame()
        lat.append((time.perf_counter() - t0) * 1000)
        assert struct.unpack_from(">i", event)[0] == -1
        b.frame()
    a.close()
    b.close()
    lat.sort()
    return statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))]


def run_one(
    label: str, hostport: str, rep: int, args: argparse.Namespace
) -> list[dict[str, object]]:
    root = "/rawbench-" + uuid.uuid4().hex[:8]
    c = Conn(hostport)
    c.send(create_req(1, root, b""))
    c.frame()
    c.close()
    figures: dict[str, float] = dict(seq(hostport, root, args.n))
    figures["pipe_create"] = pipelined_creates(hostport, root, args.n * 5, args.pipeline)
    figures["watch_p50_ms"], figures["watch_p99_ms"] = watch_latency(hostport, root, args.rounds)
    return [
        {"label": label, "rep": rep, "test": k, "value": round(v, 3)} for k, v in figures.items()
    ]


def median_of(results: list[dict[str, object]], test: str, label: str) -> float:
    values = [r["value"] for r in results if r["test"] == test and r["label"] == label]
    return statistics.median(float(v) for v in values if isinstance(v, (int, float)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--server", action="append", required=True, help="LABEL=HOST:PORT")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--pipeline", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=500)
    args = ap.parse_args()
    servers = [s.split("=", 1) for s in args.server]
    results: list[dict[str, object]] = []
    for rep in range(1, args.reps + 1):
        for label, hostport in servers:
            for rec in run_one(label, hostport, rep, args):
                print(json.dumps(rec), flush=True)
                results.append(rec)
    tests = list(dict.fromkeys(str(r["test"]) for r in results))
    labels = [label for label, _ in servers]
    print("| test | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for t in tests:
        meds = [median_of(results, t, lab) for lab in labels]
        print(f"| {t} | " + " | ".join(f"{m:.3f}" for m in meds) + " |")


if __name__ == "__main__":
    main()
