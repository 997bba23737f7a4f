"""One partition's replication state on one broker: leader or follower, ISR, high watermark.

Sans-IO: methods take ``now_ms`` and log offsets, and return decisions; the caller writes
the log, ZooKeeper and the network.

Leader rules (Kafka's ``Partition``):

* each follower's log end offset (LEO) is the fetch offset of its latest Fetch;
* a follower is *caught up* at ``now`` if its LEO reached the leader's LEO, and caught up as
  of its previous fetch if its LEO reached the leader's LEO at that previous fetch (so a
  follower under steady load is not dropped);
* ISR expansion: a replica outside the ISR whose LEO reached the high watermark and the offset
  where the current leader epoch began (so it has fetched in this epoch) joins;
* ISR shrink: an ISR follower not caught up for ``replica.lag.time.max.ms`` leaves;
* high watermark = min LEO over the ISR (the leader included), counting a replica whose
  addition to the ISR is being written (the "maximal ISR" of KIP-497); it never moves back while
  the partition is led here.

Invariants: the leader is always in its own ISR; ``leader_epoch`` only grows; a state change
from the controller with an older leader epoch is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class FollowerState:
    leo: int = -1
    last_caught_up_ms: int = 0
    last_fetch_ms: int = 0
    last_fetch_leader_leo: int = -1


@dataclass(slots=True)
class Partition:
    topic: str
    index: int
    local_id: int
    leader: int = -1
    leader_epoch: int = -1
    controller_epoch: int = -1
    isr: tuple[int, ...] = ()
    replicas: tuple[int, ...] = ()
    zk_version: int = -1
    followers: dict[int, FollowerState] = field(default_factory=dict)
    pending_isr: tuple[int, ...] | None = None  # an ISR change being written to ZooKeeper
    epoch_start_offset: int = -1  # the leader's log end when its current epoch began

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.index)

    @property
    def is_leader(self) -> bool:
        return self.leader == self.local_id

    def is_stale(self, leader_epoch: int) -> bool:
        """Whether a controller state with ``leader_epoch`` is older than the one applied."""
        return leader_epoch < self.leader_epoch

    def apply(
        self,
        leader: int,
        leader_epoch: int,
        isr: tuple[int, ...],
        replicas: tuple[int, ...],
        zk_version: int,
        controller_epoch: int,
        now_ms: int,
    ) -> bool:
        """Take a state from LeaderAndIsr; True if leadership or the epoch changed."""
        changed = leader != self.leader or leader_epoch != self.leader_epoch
        self.leader, self.leader_epoch = leader, leader_epoch
        self.isr, self.replicas = tuple(isr), tuple(replicas)
        self.zk_version, self.controller_epoch = zk_version, controller_epoch
        self.pending_isr = None
        if self.is_leader:
            old = self.followers
            self.followers = {}
            for r in replicas:
                if r == self.local_id:
                    continue
                st = old.get(r) if not changed else None
                # ISR members get a fresh grace period under a new leader (Kafka does the same)
                self.followers[r] = st or FollowerState(-1, now_ms, 0)
        else:
            self.followers = {}
        return changed

    def on_follower_fetch(
        self, replica: int, fetch_offset: int, leader_leo: int, now_ms: int
    ) -> None:
        st = self.followers.get(replica)
        if st is None or fetch_offset > leader_leo:
            return  # beyond our log end: a diverged follower (OFFSET_OUT_OF_RANGE), not progress
        st.leo = fetch_offset
        if fetch_offset >= leader_leo:
            st.last_caught_up_ms = now_ms
        elif 0 <= st.last_fetch_leader_leo <= fetch_offset:
            # it has what the leader had at its previous fetch: caught up as of then
            st.last_caught_up_ms = max(st.last_caught_up_ms, st.last_fetch_ms)
        st.last_fetch_ms = now_ms
        st.last_fetch_leader_leo = leader_leo

    @property
    def maximal_isr(self) -> tuple[int, ...]:
        """The ISR plus the members of a pending ISR change (KIP-497): a replica being added
        counts for the high watermark before ZooKeeper has the change, so nothing is committed
        that a member of the new ISR lacks; one being removed counts until it is out."""
        pending = self.pending_isr or ()
        return self.isr + tuple(r for r in pending if r not in self.isr)

    def high_watermark(self, leader_leo: int, current_hw: int) -> int:
        """The new high watermark: min LEO over the maximal ISR, never below ``current_hw``."""
        low = leader_leo
        for r in self.maximal_isr:
            if r == self.local_id:
                continue
            st = self.followers.get(r)
            if st is None or st.leo < 0:
                return current_hw
            low = min(low, st.leo)
        return max(low, current_hw)

    def isr_to_expand(self, hw: int) -> tuple[int, ...] | None:
        """A new ISR including followers that reached the high watermark, or None."""
        if not self.is_leader or self.pending_isr is not None:
            return None
        floor = max(hw, self.epoch_start_offset, 0)
        joining = [
            r
            for r, st in self.followers.items()
            if r not in self.isr and r in self.replicas and st.leo >= floor
        ]
        if not joining:
            return None
        return tuple(r for r in self.replicas if r in self.isr or r in joining)

    def isr_to_shrink(self, now_ms: int, max_lag_ms: int) -> tuple[int, ...] | None:
        """A new ISR without followers lagging more than ``max_lag_ms``, or None."""
        if not self.is_leader or self.pending_isr is not None:
            return None
        out = [
            r
            for r in self.isr
            if r == self.local_id
            or now_ms - self.followers.get(r, FollowerState()).last_caught_up_ms <= max_lag_ms
        ]
        if len(out) == len(self.isr):
            return None
        return tuple(out)
