"""Member processes and their event streams for the group interop tests."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

MEMBER = Path(__file__).with_name("member.py")


class Member:
    """One member process; its stdout events are collected by a reader thread."""

    def __init__(
        self, client: str, bootstrap: str, topic: str, group: str, instance: str | None = None
    ) -> None:
        args = [sys.executable, str(MEMBER), client, bootstrap, topic, group]
        if instance is not None:
            args.append(instance)
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.lock:
                self.events.append(json.loads(line))

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def assignment(self) -> set[int]:
        with self.lock:
            for e in reversed(self.events):
                if e["ev"] == "assign":
                    return set(e["parts"])
        return set()

    def records(self) -> list[tuple[int, int]]:
        with self.lock:
            return [(e["p"], e["o"]) for e in self.events if e["ev"] == "rec"]

    def count(self, ev: str) -> int:
        with self.lock:
            return sum(1 for e in self.events if e["ev"] == ev)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM: a clean close (LeaveGroup)."""
        if self.alive:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.reader.join(5)

    def kill9(self) -> None:
        """SIGKILL: the member vanishes without leaving the group."""
        if self.alive:
            self.proc.kill()
            self.proc.wait(5)
        self.reader.join(5)


def wait_until(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def is_partition_of(members: list[Member], partitions: set[int]) -> bool:
    """Every live member owns something, no partition twice, all of them owned."""
    seen: set[int] = set()
    for m in members:
        parts = m.assignment()
        if not parts or parts & seen:
            return False
        seen |= parts
    return seen == partitions


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(15)


def produce(bootstrap: str, topic: str, partitions: int, per_partition: int, tag: str) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for part in range(partitions):
        for i in range(per_partition):
            p.produce(topic, value=f"{tag}-{part}-{i}".encode(), partition=part)
    assert p.flush(15) == 0
