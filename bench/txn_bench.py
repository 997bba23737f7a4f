"""Transactional vs idempotent produce throughput against an odradek broker.

Each run sends ``--records`` records of ``--size`` bytes with confluent-kafka to a fresh topic:
``idempotent`` (enable.idempotence=true, acks=all) or ``transactional`` (a transaction every
``--per-txn`` records, committed). Runs alternate between the modes; the median of each is
reported with the ratio transactional / idempotent.

    .venv/bin/python bench/txn_bench.py --records 200000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from odradek.testing.process import BrokerProcess

PROPS = {"transaction.state.log.num.partitions": "5", "offsets.topic.num.partitions": "5"}


def _topic(bootstrap: str) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(15)
    return name


def run_once(bootstrap: str, mode: str, records: int, size: int, per_txn: int) -> float:
    topic = _topic(bootstrap)
    conf: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "linger.ms": 5,
        "batch.size": 1_000_000,
        "enable.idempotence": True,
    }
    if mode == "transactional":
        conf["transactional.id"] = f"bench-{topic}"
    p = Producer(conf)
    value = b"x" * size
    if mode == "transactional":
        p.init_transactions(30)
    start = time.perf_counter()
    sent = 0
    while sent < records:
        n = min(per_txn, records - sent)
        if mode == "transactional":
            p.begin_transaction()
        for _ in range(n):
            while True:
                try:
                    p.produce(topic, value)
                    break
                except BufferError:
                    p.poll(0.01)
        sent += n
        if mode == "transactional":
            p.commit_transaction(60)
        else:
            p.poll(0)
    if p.flush(60) != 0:
        raise RuntimeError("undelivered records")
    return records / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--per-txn", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        broker = BrokerProcess(Path(tmp) / "data", props=PROPS).start()
        try:
            results: dict[str, list[float]] = {"idempotent": [], "transactional": []}
            run_once(broker.bootstrap, "idempotent", 20_000, args.size, args.per_txn)  # warm-up
            for _ in range(args.runs):
                for mode in results:
                    rate = run_once(broker.bootstrap, mode, args.records, args.size, args.per_txn)
                    results[mode].append(rate)
                    print(f"{mode:14s} {rate:10.0f} records/s", flush=True)
        finally:
            broker.stop()
    idem = statistics.median(results["idempotent"])
    txn = statistics.median(results["transactional"])
    mb = args.size / 1e6
    print(f"median idempotent    {idem:10.0f} records/s  {idem * mb:6.1f} MB/s")
    print(f"median transactional {txn:10.0f} records/s  {txn * mb:6.1f} MB/s")
    print(f"ratio transactional/idempotent {txn / idem:.2f}")


if __name__ == "__main__":
    main()
