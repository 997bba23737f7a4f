"""Produce throughput of a real broker with and without the log cleaner busy.

Usage: python bench/cleaner_broker_bench.py [--dirty-mb 32] [--messages 1000000] [--size 100]

For each setting a fresh ``odradek serve`` is started: first with ``log.cleaner.enable=false``,
then with the cleaner on (worker process, ``log.cleaner.backoff.ms=100``). A compacted topic
(1 MB segments, ``min.cleanable.dirty.ratio=0.01``, 10 000 keys) is filled with ``--dirty-mb``
/ 2 MB of 100 B updates; then confluent-kafka produces ``--messages`` messages of ``--size``
bytes to another topic (acks=1, linger 5 ms) while a second producer (another process)
writes ``--dirty-mb`` MB more updates to the compacted topic and — in the second run — the
cleaner keeps cleaning it.
Reported: produce MB/s and messages/s of each run, their ratio, and what the cleaner did in
the meantime (from the broker log).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from odradek.testing.process import BrokerProcess


def create_compacted(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    cfg = {"cleanup.policy": "compact", "segment.bytes": str(1 << 20)}
    cfg["min.cleanable.dirty.ratio"] = "0.01"
    admin.create_topics([NewTopic("dirty", 1, 1, config=cfg)])["dirty"].result(10)


def fill_compacted(bootstrap: str, mb: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.size": 65536})
    rnd = random.Random(3)
    value = bytes(rnd.randrange(256) for _ in range(100))
    for _ in range(mb * 1_000_000 // 130):
        _send(p, "dirty", value, b"key-%05d" % rnd.randrange(10_000))
    p.flush(120)


def _send(p: Producer, topic: str, value: bytes, key: bytes | None = None) -> None:
    while True:
        try:
            p.produce(topic, value, key)
            return
        except BufferError:
            p.poll(0.01)


def produce(bootstrap: str, messages: int, size: int) -> float:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("load", 1, 1)])["load"].result(10)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": 1})
    value = b"x" * size
    t0 = time.perf_counter()
    for i in range(messages):
        _send(p, "load", value)
        if i % 10_000 == 0:
            p.poll(0)
    p.flush(120)
    return time.perf_counter() - t0


def run(root: Path, cleaner: bool, args: argparse.Namespace) -> tuple[float, str]:
    props = {"log.cleaner.enable": str(cleaner).lower(), "log.cleaner.backoff.ms": "100"}
    if args.cleaner_rate:
        props["log.cleaner.io.max.bytes.per.second"] = str(args.cleaner_rate)
    broker = BrokerProcess(root / ("on" if cleaner else "off") / "data", props=props)
    broker.start()
    try:
        create_compacted(broker.bootstrap)
        fill_compacted(broker.bootstrap, args.dirty_mb // 2)
        time.sleep(2)  # let a first clean start
        ctx = multiprocessing.get_context("spawn")  # its own GIL: not in the measured loop
        writer = ctx.Process(target=fill_compacted, args=(broker.bootstrap, args.dirty_mb))
        writer.start()  # keeps the compacted topic dirty during the measurement
        took = produce(broker.bootstrap, args.messages, args.size)
        writer.join()
        time.sleep(0.5)
        cleaned = re.findall(r"cleaned (\d+) bytes into (\d+) in ([\d.]+)s", broker.log_text())
    finally:
        broker.stop()
    done = sum(int(b) for b, _w, _s in cleaned) / 1e6
    secs = sum(float(s) for _b, _w, s in cleaned)
    note = f"{len(cleaned)} cleans, {done:.0f} MB read in {secs:.1f} s" if cleaned else "-"
    return took, note


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dirty-mb", type=int, default=32)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--on-first", action="store_true", help="run with the cleaner first")
    ap.add_argument("--cleaner-rate", type=float, default=0, help="io.max.bytes.per.second")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="odradek-cleaner-broker-", dir=args.dir))
    try:
        if args.on_first:
            busy, note = run(root, True, args)
            base, _ = run(root, False, args)
        else:
            base, _ = run(root, False, args)
            busy, note = run(root, True, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    mb = args.messages * args.size / 1e6
    print("| run | produce MB/s | msgs/s | cleaner during the run |")
    print("|---|---|---|---|")
    print(f"| cleaner off | {mb / base:.1f} | {args.messages / base:,.0f} | - |")
    print(f"| cleaner on | {mb / busy:.1f} | {args.messages / busy:,.0f} | {note} |")
    print(f"\nratio (on / off): {base / busy:.2f}")


if __name__ == "__main__":
    main()
