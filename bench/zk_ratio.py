"""Medians per figure from zkbench JSON lines, and odradek vs Apache (>1: odradek better).

usage: python bench/zk_ratio.py bench/zk_results-standalone.jsonl  (or -ensemble.jsonl)
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict

FIGURES = [
    ("sync_create", "ops_per_s", True),
    ("sync_get", "ops_per_s", True),
    ("sync_set", "ops_per_s", True),
    ("sync_delete", "ops_per_s", True),
    ("async_create", "ops_per_s", True),
    ("async_get", "ops_per_s", True),
    ("async_set", "ops_per_s", True),
    ("async_delete", "ops_per_s", True),
    ("watch_latency", "p50_ms", False),
    ("watch_latency", "p99_ms", False),
    ("eph_close", "p50_ms", False),
    ("eph_close", "p99_ms", False),
    ("eph_expiry", "median_s", False),
    ("failover", "write_ok_after_s", False),
    ("failover", "new_leader_seen_after_s", False),
    ("failover_rejoin", "rejoined_as_follower_after_s", False),
]


def main(paths: list[str]) -> None:
    values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for path in paths:
        with open(path) as f:
            for line in f:
                if not line.startswith("{"):
                    continue
                rec = json.loads(line)
                for key, value in rec.items():
                    if isinstance(value, (int, float)):
                        values[(rec["label"].split("-")[0], rec["test"], key)].append(value)
    print("| test | metric | Apache ZooKeeper 3.8 | odradek zk | odradek vs Apache |")
    print("|---|---|---|---|---|")
    for test, metric, higher_better in FIGURES:
        a = values.get(("apache", test, metric))
        o = values.get(("odradek", test, metric))
        if not a or not o:
            continue
        ma, mo = statistics.median(a), statistics.median(o)
        ratio = mo / ma if higher_better else ma / mo
        print(f"| {test} | {metric} | {ma:.3f} | {mo:.3f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
