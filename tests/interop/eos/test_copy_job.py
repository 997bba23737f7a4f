"""Consume-transform-produce with ``send_offsets_to_transaction``, without and with a broker
``kill -9`` in the middle of the run: the output topic holds each input record exactly once."""

from __future__ import annotations

import queue
import subprocess
import sys
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


class JobProcess:
    """The copy job in its own process, restarted (kill -9) when it makes no progress:
    librdkafka occasionally hangs in a transactional call after a broker restart, ignoring
    the call's timeout, and a stuck job process is what an operator restarts."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc: subprocess.Popen[str] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        script = str(Path(__file__).with_name("copy_job.py"))
        self.proc = subprocess.Popen(
            [sys.executable, script, *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        out = self.proc.stdout
        assert out is not None
        threading.Thread(
            target=lambda: [self.lines.put(x.strip()) for x in out], daemon=True
        ).start()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def test_copy_job_survives_broker_kill9(tmp_path: Path) -> None:
    broker = start_broker(tmp_path / "data")
    job = JobProcess([])
    try:
        counts, expected = _fill(broker.bootstrap, "copy-in", 3000)
        create_topic(broker.bootstrap, "copy-out", PARTS)
        job.args = [broker.bootstrap, "copy-in", "copy-out", "copier", "50"]
        job.args += [str(counts[p]) for p in range(PARTS)]
        job.start()
        crashed = False
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                line = job.lines.get(timeout=20)
            except queue.Empty:
                job.kill()  # no progress: restart the job process
                job.start()
                continue
            if line == "done":
                break
            if line == "commit 8" and not crashed:
                crashed = True
                time.sleep(0.05)  # the next transaction is under way
                broker.kill9()
                time.sleep(1.0)
                broker.start()
        else:
            pytest.fail("copy job did not finish")
        assert crashed
        got = read_values(broker.bootstrap, "copy-out", len(expected), PARTS)
        assert len(got) == len(expected), f"{len(got) - len(set(got))} duplicates"
        assert got == expected
    finally:
        job.kill()
        broker.stop()
