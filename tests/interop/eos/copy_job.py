"""A consume-transform-produce job with confluent-kafka transactions, as applications write it.

Each round: consume up to ``batch`` records of ``src``, produce ``b"copy:" + value`` to the same
partition of ``dst``, send the consumer positions with ``send_offsets_to_transaction`` and
commit. Any client error (the broker went away, the producer was fenced) restarts the job:
both clients are recreated, the new producer's ``init_transactions`` aborts whatever the old
one left open and the consumer resumes from the offsets committed by the last transaction.

Losing the broker connection (reported through ``error_cb``) also restarts the job once the
transaction in progress returns: librdkafka 2.x sometimes never sends the TxnOffsetCommit of
a later ``send_offsets_to_transaction`` after a broker restart (seen with odradek; the call
then ignores its timeout), and recreating the clients is what applications do anyway.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)


class CopyJob:
    def __init__(
        self,
        bootstrap: str,
        src: str,
        dst: str,
        counts: dict[int, int],
        *,
        subscribe: bool = False,
        batch: int = 100,
        txn_id: str = "copy-job",
        producer_config: dict[str, object] | None = None,
    ) -> None:
        self.producer_config = producer_config or {}
        self.bootstrap = bootstrap
        self.src, self.dst = src, dst
        self.counts = counts  # records per source partition: the job ends when all are copied
        self.subscribe = subscribe
        self.batch = batch
        self.txn_id = txn_id
        self.commits = 0
        self.restarts = 0
        self.on_commit: Callable[[int], None] = lambda _n: None
        self.broker_lost = False

    def _error_cb(self, err: KafkaError) -> None:
        if err.code() in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN):
            self.broker_lost = True

    def _consumer(self) -> Consumer:
        c = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"{self.txn_id}-group",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 500,
                "error_cb": self._error_cb,
            }
        )
        parts = [TopicPartition(self.src, p) for p in self.counts]
        if self.subscribe:
            c.subscribe([self.src])
        else:
            committed = c.committed(parts, timeout=10)
            c.assign(
                [
                    TopicPartition(
                        self.src, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
                    )
                    for tp in committed
                ]
            )
        return c

    def _finished(self, c: Consumer) -> bool:
        parts = [TopicPartition(self.src, p) for p in self.counts]
        committed = c.committed(parts, timeout=10)
        return all(tp.offset == self.counts[tp.partition] for tp in committed)

    def run(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            consumer: Consumer | None = None
            producer: Producer | None = None
            try:
                self.broker_lost = False
                consumer = self._consumer()
                producer = Producer(
                    {
                        "bootstrap.servers": self.bootstrap,
                        "transactional.id": self.txn_id,
                        "transaction.timeout.ms": 10000,
                        "error_cb": self._error_cb,
                        **self.producer_config,
                    }
                )
                producer.init_transactions(30)
                if self._loop(consumer, producer, deadline):
                    return
            except KafkaException:
                self.restarts += 1
                time.sleep(0.5)
            finally:
                if consumer is not None:
                    with contextlib.suppress(Exception):
                        consumer.close()
                if producer is not None:
                    with contextlib.suppress(Exception):
                        producer.flush(0)
        raise TimeoutError(f"copy job unfinished after {timeout_s}s ({self.commits} commits)")

    def _loop(self, consumer: Consumer, producer: Producer, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.broker_lost:
                self.broker_lost = False
                raise KafkaException(KafkaError(KafkaError._TRANSPORT, "broker connection lost"))
            msgs = [m for m in consumer.consume(self.batch, 0.5) if m.error() is None]
            if not msgs:
                if self._finished(consumer):
                    return True
                continue
            producer.begin_transaction()
            for m in msgs:
                producer.produce(self.dst, b"copy:" + m.value(), partition=m.partition())
            positions = consumer.position(consumer.assignment())
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(30)
            self.commits += 1
            self.on_commit(self.commits)
        return False


def main(argv: list[str]) -> int:
    """``copy_job.py BOOTSTRAP SRC DST TXN_ID BATCH COUNT...``: run the job in its own process,
    printing ``commit N`` after each committed transaction and ``done`` at the end."""
    bootstrap, src, dst, txn_id, batch, *counts = argv
    job = CopyJob(
        bootstrap,
        src,
        dst,
        {p: int(n) for p, n in enumerate(counts)},
        batch=int(batch),
        txn_id=txn_id,
    )
    job.on_commit = lambda n: print(f"commit {n}", flush=True)
    job.run(600)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
