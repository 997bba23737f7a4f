"""Partition leader election rules of the controller, as pure functions (Kafka's
``PartitionLeaderElectionAlgorithms``).

* offline (the leader died): the first replica, in assignment order, that is alive and in the
  ISR; with ``unclean.leader.election.enable`` any live replica, the ISR then being the leader;
* preferred: the first replica of the assignment, if it is alive and in the ISR;
* controlled shutdown: the first live ISR replica that is not shutting down;
* new partition: the first live replica, ISR = the live replicas.

Each returns the new ``(leader, isr)`` or None when there is no eligible leader.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

Election = tuple[int, tuple[int, ...]]


def new_partition(replicas: Sequence[int], live: Collection[int]) -> Election | None:
    isr = tuple(r for r in replicas if r in live)
    return (isr[0], isr) if isr else None


def offline(
    replicas: Sequence[int], isr: Sequence[int], live: Collection[int], unclean: bool
) -> Election | None:
    for r in replicas:
        if r in live and r in isr:
            return r, tuple(x for x in isr if x in live)
    if unclean:
        for r in replicas:
            if r in live:
                return r, (r,)
    return None


def preferred(
    replicas: Sequence[int], isr: Sequence[int], live: Collection[int]
) -> Election | None:
    if replicas and replicas[0] in live and replicas[0] in isr:
        return replicas[0], tuple(isr)
    return None


def controlled_shutdown(
    replicas: Sequence[int], isr: Sequence[int], live: Collection[int], stopping: Collection[int]
) -> Election | None:
    for r in replicas:
        if r in live and r in isr and r not in stopping:
            return r, tuple(x for x in isr if x not in stopping)
    return None


def without(isr: Sequence[int], gone: Collection[int], leader: int) -> tuple[int, ...]:
    """The ISR after removing offline replicas; the leader stays in it."""
    out = tuple(x for x in isr if x not in gone or x == leader)
    return out
