"""RF=3 acks=all produce on a local 3-broker cluster vs the same workload on one broker.

Each run creates a fresh topic (``--partitions``, replication factor 3 on the cluster, 1 on the
single broker), sends ``--records`` records of ``--size`` bytes with one confluent-kafka
producer (acks=all, linger.ms=5) and reports throughput and the p50/p99 latency from
``produce()`` to the delivery callback, and the brokers' CPU time (user + system, from /proc)
per MB produced. Runs alternate between the two setups; medians are reported with the ratio
cluster / single. Each run's topic is deleted afterwards (``--keep-topics`` keeps them): on a
small VM the page cache of earlier runs otherwise makes later writes several times slower, which
hits the cluster (three copies) harder than the single broker. The cluster runs on ZooKeeper:
Apache 3.8 (``--zk apache``, the default when installed) or ``odradek zk``; ``--override K=V``
sets a property on the cluster's brokers.

    .venv/bin/python bench/cluster_bench.py --records 100000 --size 1024 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from odradek.broker.cluster_main import LocalCluster, ZkServer
from odradek.testing.process import BrokerProcess


def _topic(bootstrap: str, partitions: int, rf: int) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + 30
    while len(admin.list_topics(timeout=5).brokers) < rf and time.monotonic() < deadline:
        time.sleep(0.1)  # every broker registered, so the controller can place RF replicas
    admin.create_topics([NewTopic(name, partitions, rf)])[name].result(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        md = admin.list_topics(name, timeout=5).topics[name]
        if md.error is None and all(len(p.isrs) == rf for p in md.partitions.values()):
            break
        time.sleep(0.1)
    return name


def _drop(bootstrap: str, topic: str) -> None:
    """Delete the run's topic and wait until its logs are gone (frees the page cache)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.delete_topics([topic])[topic].result(30)
    deadline = time.monotonic() + 30
    while topic in admin.list_topics(timeout=5).topics and time.monotonic() < deadline:
        time.sleep(0.1)


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by processes ``pids`` (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def run_once(
    bootstrap: str,
    partitions: int,
    rf: int,
    records: int,
    size: int,
    pids: list[int],
    keep: bool = False,
) -> dict[str, float]:
    topic = _topic(bootstrap, partitions, rf)
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                  "batch.size": 1_000_000, "queue.buffering.max.messages": 1_000_000})  # fmt: skip
    payload = b"x" * size
    latencies: list[float] = []
    errors = 0

    def cb(err: object, msg: Any) -> None:
        # latency from the record's create timestamp (set by the client in produce())
        nonlocal errors
        if err is not None:
            errors += 1
        latencies.append(time.time() - msg.timestamp()[1] / 1000)

    produce = p.produce
    cpu0 = _cpu_s(pids)
    start = time.perf_counter()
    for i in range(records):
        while True:
            try:
                produce(topic, payload, partition=i % partitions, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.01)
        if i % 1000 == 0:
            p.poll(0)
    p.flush(120)
    elapsed = time.perf_counter() - start
    cpu = _cpu_s(pids) - cpu0
    if not keep:
        _drop(bootstrap, topic)
    latencies.sort()
    return {
        "records_per_s": records / elapsed,
        "mb_per_s": records * size / elapsed / 1e6,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "broker_cpu_ms_per_mb": cpu * 1000 / (records * size / 1e6),
        "errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--zk", choices=["apache", "odradek"], default="apache")
    ap.add_argument("--keep-topics", action="store_true", help="do not delete each run's topic")
    ap.add_argument(
        "--override", action="append", default=[], metavar="KEY=VALUE",
        help="broker property for the cluster's brokers (repeatable)",
    )  # fmt: skip
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as tmp:
        base = Path(tmp)
        single = BrokerProcess(base / "single" / "data").start()
        zk = ZkServer(args.zk, base / "zk").start()
        props = {"zookeeper.session.timeout.ms": "6000", "offsets.topic.num.partitions": "3"}
        props.update(kv.split("=", 1) for kv in args.override)
        cluster = LocalCluster(base / "cluster", zk.hosts + "/bench", props).start(3)
        results: dict[str, list[dict[str, float]]] = {"single": [], "cluster": []}
        try:
            for _ in range(args.runs):
                for name, bs, rf, pids in (
                    ("single", single.bootstrap, 1, [single.pid]),
                    ("cluster", cluster.bootstrap, 3, [b.pid for b in cluster.brokers.values()]),
                ):
                    r = run_once(
                        bs, args.partitions, rf, args.records, args.size, pids, args.keep_topics
                    )
                    results[name].append(r)
                    print(name, {k: round(v, 2) for k, v in r.items()}, flush=True)
        finally:
            cluster.stop()
            zk.stop()
            single.stop()
    med = {n: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for n, rs in results.items()}
    print(f"\n{args.records} records x {args.size} B, {args.partitions} partitions, acks=all, "
          f"{args.runs} runs (medians), zk={args.zk} {' '.join(args.override)}")  # fmt: skip
    print("| setup | records/s | MB/s | p50 ms | p99 ms | broker CPU ms/MB |")
    print("|---|---|---|---|---|---|")
    for n, label in (("single", "1 broker, RF 1"), ("cluster", "3 brokers, RF 3")):
        m = med[n]
        cpu = m["broker_cpu_ms_per_mb"]
        print(f"| {label} | {m['records_per_s']:,.0f} | {m['mb_per_s']:.1f} | "
              f"{m['p50_ms']:.1f} | {m['p99_ms']:.1f} | {cpu:.1f} |")  # fmt: skip
    ratio = med["cluster"]["records_per_s"] / med["single"]["records_per_s"]
    pairs = zip(results["cluster"], results["single"], strict=True)
    per_run = [c["records_per_s"] / s["records_per_s"] for c, s in pairs]
    spread = f"{min(per_run):.2f}-{max(per_run):.2f}"
    print(f"\nthroughput ratio cluster/single: {ratio:.2f} (per alternating run: {spread})")


if __name__ == "__main__":
    main()
