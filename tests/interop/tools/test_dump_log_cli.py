"""``odradek dump-log`` on segment files written by a real ``odradek serve``."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from odradek.testing.process import BrokerProcess

pytestmark = pytest.mark.interop


def odradek(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "odradek.cli", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _wait_for_batches(log: Path, count: int) -> list[str]:
    lines: list[str] = []
    for _ in range(50):
        if log.exists():
            out = odradek("dump-log", "--files", str(log), "--print-data-log").stdout
            lines = out.splitlines()
            if sum(line.startswith("baseOffset:") for line in lines) >= count:
                return lines
        time.sleep(0.1)
    return lines


def test_dump_segment_written_by_broker(broker: BrokerProcess) -> None:
    topic = f"dump-{uuid.uuid4().hex[:8]}"
    boot = ["--bootstrap-server", broker.bootstrap]
    created = odradek(
        "topics",
        *boot,
        "--create",
        "--topic",
        topic,
        "--partitions",
        "1",
        "--config",
        "index.interval.bytes=1",
    )
    assert created.returncode == 0, created.stderr
    big = "z" * 300  # compressible: librdkafka sends a batch uncompressed if gzip won't shrink it
    for body, codec in (("k1:one\nk2:two\n", "none"), (f"k3:{big}\n", "gzip")):
        produced = odradek(
            "produce",
            *boot,
            "--topic",
            topic,
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
            "--compression-codec",
            codec,
            input=body,
        )
        assert produced.returncode == 0, produced.stderr

    partition_dir = broker.data_dir / f"{topic}-0"
    log = partition_dir / "00000000000000000000.log"
    lines = _wait_for_batches(log, 2)
    assert lines[:2] == [f"Dumping {log}", "Log starting offset: 0"]
    batches = [line for line in lines if line.startswith("baseOffset:")]
    assert len(batches) == 2, lines
    assert batches[0].startswith("baseOffset: 0 lastOffset: 1 count: 2 ")
    assert batches[1].startswith("baseOffset: 2 lastOffset: 2 count: 1 ")
    assert "compresscodec: gzip" in batches[1]
    assert all(b.endswith("isvalid: true") for b in batches)
    payloads = [
        re.search(r"key: (\S+) payload: (\S+)$", line) for line in lines if line.startswith("| ")
    ]
    assert [(m.group(1), m.group(2)) for m in payloads if m] == [
        ("k1", "one"),
        ("k2", "two"),
        ("k3", big),
    ]
    position = int(re.search(r" position: (\d+) ", batches[1]).group(1))  # type: ignore[union-attr]

    index = partition_dir / "00000000000000000000.index"
    dumped = odradek("dump-log", "--files", str(index))
    assert dumped.returncode == 0 and "Mismatches" not in dumped.stderr, dumped.stderr
    assert f"offset: 2 position: {position}" in dumped.stdout.splitlines()
