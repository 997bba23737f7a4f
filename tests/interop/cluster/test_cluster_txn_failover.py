"""kill -9 of the broker leading a transactional id's ``__transaction_state`` partition while a
transactional producer commits, on Apache ZooKeeper 3.8: another broker takes the partition
over (replaying the replicated transaction state), the producer completes its transactions,
and a read_committed read has every committed record exactly once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from cluster_harness import create_topic
from confluent_kafka import KafkaException, Producer
from test_cluster_txn import TRANSACTION, coordinator_node, find_coordinator, read_values

from odradek.broker.cluster_main import LocalCluster

pytestmark = pytest.mark.interop
TOPIC, TXNS, PER_TXN, KILL_AFTER = "fo-out", 16, 10, 4


def _producer(bootstrap: str) -> Producer:
    p = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": "fo-txn",
            "transaction.timeout.ms": 30000,
            "socket.timeout.ms": 3000,
            "linger.ms": 2,
        }
    )
    p.init_transactions(60)
    return p


def _one_transaction(p: Producer, i: int, before_commit: Callable[[], None]) -> None:
    p.begin_transaction()
    for j in range(PER_TXN):
        p.produce(TOPIC, b"t%d-%d" % (i, j), partition=j % 3)
    p.flush(30)
    before_commit()
    p.commit_transaction(60)


def _run(c: LocalCluster, victim: int) -> tuple[set[int], set[int]]:
    """Commit TXNS transactions, killing ``victim`` after KILL_AFTER; returns (confirmed
    commits, transactions whose outcome the client could not know)."""
    bootstrap = c.bootstrap
    p = _producer(bootstrap)
    confirmed: set[int] = set()
    unknown: set[int] = set()
    deadline = time.monotonic() + 120
    i = 0
    killed = False

    def kill() -> None:
        nonlocal killed
        if i == KILL_AFTER and not killed:  # records written, EndTxn not sent yet
            c.kill9(victim)
            killed = True

    while i < TXNS and time.monotonic() < deadline:
        try:
            _one_transaction(p, i, kill)
            confirmed.add(i)
            i += 1
        except KafkaException as exc:
            err = exc.args[0]
            if err.txn_requires_abort():
                try:
                    p.abort_transaction(60)  # aborted for sure: the same transaction again
                except KafkaException:
                    p = _producer(bootstrap)  # a new instance aborts it when fencing the old
            elif err.retriable():
                try:
                    p.commit_transaction(60)
                    confirmed.add(i)
                except KafkaException:
                    unknown.add(i)
                i += 1
            else:  # fatal: a new producer instance fences the old one
                unknown.add(i)
                p = _producer(bootstrap)
                i += 1
    p.flush(10)
    assert killed
    return confirmed, unknown


def test_txn_coordinator_kill9_mid_stream(apache_cluster: LocalCluster) -> None:
    c = apache_cluster
    create_topic(c.bootstrap, TOPIC, partitions=3, rf=3, config={"min.insync.replicas": "2"})
    victim = coordinator_node(c.bootstrap, "fo-txn", TRANSACTION)
    started = time.monotonic()
    confirmed, unknown = _run(c, victim)
    print(f"victim {victim}: confirmed {sorted(confirmed)} unknown {sorted(unknown)} "
          f"in {time.monotonic() - started:.1f}s")  # fmt: skip
    assert len(confirmed) >= TXNS - 2, (confirmed, unknown)
    others = ",".join(b.bootstrap for n, b in c.brokers.items() if n != victim)
    error, new_node = find_coordinator(others, "fo-txn", TRANSACTION)
    assert error == 0 and new_node not in (victim, -1)

    values = read_values(others, TOPIC, 3, "read_committed")
    counts = Counter(values)
    assert all(n == 1 for n in counts.values()), [v for v, n in counts.items() if n > 1][:5]
    by_txn = Counter(v.split(b"-")[0] for v in values)
    for i in confirmed:
        assert by_txn[b"t%d" % i] == PER_TXN, f"committed transaction {i} lost records"
    for i in unknown:
        assert by_txn[b"t%d" % i] in (0, PER_TXN), f"transaction {i} partly visible"
    assert set(by_txn) <= {b"t%d" % i for i in confirmed | unknown}
