"""KIP-848 server-side assignors: ``uniform`` (balanced and sticky) and ``range`` (per topic).

An assignor maps each member's subscribed topic names, the topics' ids and partition counts,
and the previous target assignment to a new target assignment. Both are deterministic: members
and partitions are taken in sorted order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

TopicPartitions = dict[uuid.UUID, frozenset[int]]
TopicInfo = Mapping[str, tuple[uuid.UUID, int]]  # name -> (topic id, partition count)
Assignor = Callable[
    [Mapping[str, tuple[str, ...]], TopicInfo, Mapping[str, TopicPartitions]],
    dict[str, TopicPartitions],
]


def _pack(parts: Mapping[str, set[tuple[uuid.UUID, int]]]) -> dict[str, TopicPartitions]:
    out: dict[str, TopicPartitions] = {}
    for mid, tps in parts.items():
        by_topic: dict[uuid.UUID, set[int]] = {}
        for tid, p in tps:
            by_topic.setdefault(tid, set()).add(p)
        out[mid] = {tid: frozenset(ps) for tid, ps in by_topic.items()}
    return out


def range_assignor(
    subscriptions: Mapping[str, tuple[str, ...]],
    topics: TopicInfo,
    previous: Mapping[str, TopicPartitions],
) -> dict[str, TopicPartitions]:
    """Per topic, contiguous ranges to the sorted subscribers (the first ones get one extra)."""
    result: dict[str, set[tuple[uuid.UUID, int]]] = {mid: set() for mid in subscriptions}
    for name in sorted({t for subs in subscriptions.values() for t in subs}):
        if name not in topics:
            continue
        tid, count = topics[name]
        members = sorted(m for m, subs in subscriptions.items() if name in subs)
        base, extra = divmod(count, len(members))
        start = 0
        for i, mid in enumerate(members):
            n = base + (1 if i < extra else 0)
            result[mid].update((tid, p) for p in range(start, start + n))
            start += n
    return _pack(result)


def uniform_assignor(
    subscriptions: Mapping[str, tuple[str, ...]],
    topics: TopicInfo,
    previous: Mapping[str, TopicPartitions],
) -> dict[str, TopicPartitions]:
    """Balanced counts; members keep what they had while within their share."""
    members = sorted(subscriptions)
    by_id = {topics[n][0]: n for subs in subscriptions.values() for n in subs if n in topics}
    eligible: dict[tuple[uuid.UUID, int], list[str]] = {}
    for name in sorted({n for subs in subscriptions.values() for n in subs if n in topics}):
        tid, count = topics[name]
        subs = [m for m in members if name in subscriptions[m]]
        for p in range(count):
            eligible[(tid, p)] = subs
    homogeneous = len({frozenset(s) for s in subscriptions.values()}) <= 1
    quota: dict[str, int] = {}
    extras = 0
    if homogeneous and members:
        base, extras = divmod(len(eligible), len(members))
        quota = dict.fromkeys(members, base)
    else:
        for m in members:
            share = 0.0
            for name in subscriptions[m]:
                if name in topics:
                    share += topics[name][1] / sum(1 for x in members if name in subscriptions[x])
            quota[m] = int(-(-share // 1))
    result: dict[str, set[tuple[uuid.UUID, int]]] = {m: set() for m in members}
    taken: set[tuple[uuid.UUID, int]] = set()
    for m in members:
        for tid, parts in sorted(previous.get(m, {}).items(), key=lambda kv: kv[0].bytes):
            if tid not in by_id:
                continue
            for p in sorted(parts):
                tp = (tid, p)
                if tp in taken or m not in eligible.get(tp, ()):
                    continue
                if len(result[m]) >= quota[m]:
                    if not (homogeneous and extras > 0 and len(result[m]) == quota[m]):
                        continue
                    extras -= 1
                    quota[m] += 1
                result[m].add(tp)
                taken.add(tp)
    for tp in sorted(eligible, key=lambda t: (by_id[t[0]], t[1])):
        if tp in taken:
            continue
        mid = min(eligible[tp], key=lambda x: (len(result[x]), x))
        result[mid].add(tp)
    return _pack(result)


ASSIGNORS: dict[str, Assignor] = {"uniform": uniform_assignor, "range": range_assignor}
