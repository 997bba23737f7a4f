"""Consume-transform-produce with ``send_offsets_to_transaction``, without and with a broker
``kill -9`` in the middle of the run: the output topic holds each input record exactly once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Producer

from .copy_job import CopyJob
from .eos_helpers import create_topic, read_values, start_broker

pytestmark = pytest.mark.interop
PARTS = 2


def _fill(bootstrap: str, topic: str, n: int) -> tuple[dict[int, int], list[bytes]]:
    create_topic(bootstrap, topic, PARTS)
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    values = [f"rec-{i:05d}".encode() for i in range(n)]
    for i, v in enumerate(values):
        p.produce(topic, v, partition=i % PARTS)
    assert p.flush(20) == 0
    counts = {p: len(values[p::PARTS]) for p in range(PARTS)}
    expected = [b"copy:" + v for p in range(PARTS) for v in values[p::PARTS]]
    return counts, expected


def test_consume_transform_produce(tmp_path: Path) -> None:
    broker = start_broker(tmp_path / "data")
    try:
        counts, expected = _fill(broker.bootstrap, "ctp-in", 1000)
        create_topic(broker.bootstrap, "ctp-out", PARTS)
        job = CopyJob(broker.bootstrap, "ctp-in", "ctp-out", counts, subscribe=True, txn_id="ctp")
        job.run(60)
        assert job.commits >= 2
        assert read_values(broker.bootstrap, "ctp-out", len(expected), PARTS) == expected
        # the group's committed offsets are the input's end offsets (made visible by COMMIT)
        assert job._finished(job._consumer())
    finally:
        broker.stop()


def test_copy_job_survives_broker_kill9(tmp_path: Path) -> None:
    broker = start_broker(tmp_path / "data")
    try:
        counts, expected = _fill(broker.bootstrap, "copy-in", 3000)
        create_topic(broker.bootstrap, "copy-out", PARTS)
        job = CopyJob(broker.bootstrap, "copy-in", "copy-out", counts, batch=50, txn_id="copier")
        killed = threading.Event()

        def crash() -> None:
            time.sleep(0.05)  # mid-transaction
            broker.kill9()
            time.sleep(1.0)
            broker.start()
            killed.set()

        def on_commit(n: int) -> None:
            if n == 8:
                threading.Thread(target=crash, daemon=True).start()

        job.on_commit = on_commit
        job.run(120)
        assert killed.is_set()
        assert job.restarts >= 1
        got = read_values(broker.bootstrap, "copy-out", len(expected), PARTS)
        assert len(got) == len(expected), f"{len(got) - len(set(got))} duplicates"
        assert got == expected
    finally:
        broker.stop()
