"""Replication throttling (Kafka's replication quotas, KIP-73).

Two broker configs bound the bytes per second of replication traffic on a broker:
``leader.replication.throttled.rate`` (what it serves to followers) and
``follower.replication.throttled.rate`` (what it fetches as a follower). They apply only to the
replicas named by the topic configs ``leader.replication.throttled.replicas`` and
``follower.replication.throttled.replicas``: ``partition:broker`` pairs (``0:1,1:2``), or ``*``
for every replica of the topic. Broker ``b`` throttles partition ``p`` as a leader when ``p:b`` is
in the leader list, as a follower when ``p:b`` is in the follower list.

As in Kafka, a leader does not throttle a follower that is in the ISR, and a throttled
partition whose quota is used up is simply left out of the fetch (the follower skips it, the
leader returns no records for it) until the quota has room again.

The quota is a token bucket refilled at the rate and holding at most one second of it: a fetch
may overdraw it (a batch is never split), which then blocks the partition until the debt is
repaid, so the long-run rate stays at the bound. Sans-IO apart from the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from odradek.common.clock import Clock
    from odradek.common.config import LogConfig

LEADER_RATE = "leader.replication.throttled.rate"
FOLLOWER_RATE = "follower.replication.throttled.rate"
LEADER_REPLICAS = "leader.replication.throttled.replicas"
FOLLOWER_REPLICAS = "follower.replication.throttled.replicas"
UNLIMITED = 2**63 - 1  # Kafka's default rate: Long.MAX_VALUE


def is_throttled(spec: Sequence[str], partition: int, broker: int) -> bool:
    """Whether ``partition`` on ``broker`` is listed in a throttled replicas config value."""
    for item in spec:
        if item == "*":
            return True
        p, _, b = item.partition(":")
        if p.strip() == str(partition) and b.strip() == str(broker):
            return True
    return False


class ReplicationQuota:
    """A byte rate bound: :meth:`exceeded` until the recorded bytes fit the rate again."""

    def __init__(self, clock: Clock, rate: int = UNLIMITED) -> None:
        self.clock = clock
        self.rate = rate
        self._tokens = 0.0
        self._at = clock.monotonic()

    @property
    def limited(self) -> bool:
        return 0 <= self.rate < UNLIMITED

    def set_rate(self, rate: int) -> None:
        if rate != self.rate:
            self._refill()
            self.rate = rate
            self._tokens = min(self._tokens, 0.0)

    def _refill(self) -> None:
        now = self.clock.monotonic()
        if self.limited:
            self._tokens = min(float(self.rate), self._tokens + (now - self._at) * self.rate)
        self._at = now

    def exceeded(self) -> bool:
        if not self.limited:
            return False
        self._refill()
        return self._tokens < 0

    def record(self, size: int) -> None:
        if self.limited and size > 0:
            self._refill()
            self._tokens -= size


def _rate(configs: Mapping[str, str], name: str) -> int:
    try:
        return int(configs.get(name, UNLIMITED))
    except ValueError:
        return UNLIMITED


class ReplicationThrottle:
    """The two quotas of one broker and the checks the fetch paths make."""

    def __init__(self, local_id: int, clock: Clock) -> None:
        self.local_id = local_id
        self.leader = ReplicationQuota(clock)
        self.follower = ReplicationQuota(clock)

    def configure(self, broker_configs: Mapping[str, str]) -> None:
        """Take the rates from the (dynamic) broker configs; absent means unlimited."""
        self.leader.set_rate(_rate(broker_configs, LEADER_RATE))
        self.follower.set_rate(_rate(broker_configs, FOLLOWER_RATE))

    # ------------------------------------------------------------------ follower side
    def follower_throttled(self, partition: int, config: LogConfig) -> bool:
        return self.follower.limited and is_throttled(
            config.follower_replication_throttled_replicas, partition, self.local_id
        )

    def follower_blocked(self, partition: int, config: LogConfig) -> bool:
        """Leave this partition out of the next fetch."""
        return self.follower_throttled(partition, config) and self.follower.exceeded()

    # ------------------------------------------------------------------ leader side
    def leader_gate(self, replica_id: int, in_isr: Callable[[str, int, int], bool]) -> LeaderGate:
        return LeaderGate(self, replica_id, in_isr)


class LeaderGate:
    """The leader's checks for one follower's Fetch request."""

    __slots__ = ("in_isr", "replica_id", "throttle")

    def __init__(
        self,
        throttle: ReplicationThrottle,
        replica_id: int,
        in_isr: Callable[[str, int, int], bool],
    ) -> None:
        self.throttle = throttle
        self.replica_id = replica_id
        self.in_isr = in_isr

    def throttled(self, topic: str, partition: int, config: LogConfig) -> bool:
        t = self.throttle
        return (
            t.leader.limited
            and is_throttled(config.leader_replication_throttled_replicas, partition, t.local_id)
            and not self.in_isr(topic, partition, self.replica_id)
        )

    def blocked(self, topic: str, partition: int, config: LogConfig) -> bool:
        """Serve no records of this partition to this follower now."""
        return self.throttled(topic, partition, config) and self.throttle.leader.exceeded()

    def record(self, topic: str, partition: int, config: LogConfig, size: int) -> None:
        if size and self.throttled(topic, partition, config):
            self.throttle.leader.record(size)
