"""Request latency and packet counters of a server, as Apache ZooKeeper's ServerStats keeps them.

The edge measures each request from the moment it was read to the moment its reply was handed
to the connection (after the txn log fsync for writes). Requests that are txns (writes, session
creation) count as *update* latency, everything else as *read* latency, like Apache 3.8's
``updatelatency``/``readlatency`` summaries; the request latency of ``srvr`` is both together.
Percentiles are over the last :data:`WINDOW` samples of a kind. Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections import deque

WINDOW = 4096


class Latency:
    """Running count/sum/min/max of latencies plus a window of recent ones for percentiles.

    Samples are nanoseconds (``add`` is on the reply path: a few integer operations);
    everything reported is milliseconds, integers except the average, as Apache prints them.
    """

    __slots__ = ("count", "max", "min", "recent", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0
        self.min = 1 << 62
        self.max = 0
        self.recent: deque[int] = deque(maxlen=WINDOW)

    def add(self, ns: int) -> None:
        self.count += 1
        self.total += ns
        if ns < self.min:
            self.min = ns
        if ns > self.max:
            self.max = ns
        self.recent.append(ns)

    def merged(self, other: Latency) -> Latency:
        both = Latency()
        both.count, both.total = self.count + other.count, self.total + other.total
        both.min, both.max = min(self.min, other.min), max(self.max, other.max)
        return both

    @property
    def avg(self) -> float:
        return round(self.total / self.count / 1e6, 4) if self.count else 0.0

    def low(self) -> int:
        return self.min // 1_000_000 if self.count else 0

    def high(self) -> int:
        return self.max // 1_000_000

    def percentile(self, q: float) -> int:
        if not self.recent:
            return 0
        ordered = sorted(self.recent)
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] // 1_000_000

    def summary(self, name: str) -> dict[str, object]:
        """Apache 3.8's mntr summary set: ``avg_<name>``, ``min_<name>``, ... ``p999_<name>``."""
        out: dict[str, object] = {
            f"avg_{name}": self.avg,
            f"min_{name}": self.low(),
            f"max_{name}": self.high(),
            f"cnt_{name}": self.count,
            f"sum_{name}": self.total // 1_000_000,
        }
        for label, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999)):
            out[f"{label}_{name}"] = self.percentile(q)
        return out


class ServerStats:
    """Per-request latency, split like Apache's: writes (txns) update, everything else read."""

    def __init__(self) -> None:
        self.read = Latency()
        self.update = Latency()
        self.base_received = 0  # packet counters at the last reset (the edge keeps totals)
        self.base_sent = 0
        self.conn_base: dict[int, tuple[int, int]] = {}  # the same per connection (crst)

    @property
    def request(self) -> Latency:
        return self.read.merged(self.update)

    def add(self, ns: int, update: bool) -> None:
        (self.update if update else self.read).add(ns)

    def reset(self, received: int, sent: int) -> None:
        """``srst``: forget latencies; packets counted from now (``received``/``sent`` are the
        counts shown until now)."""
        self.read, self.update = Latency(), Latency()
        self.base_received += received
        self.base_sent += sent
