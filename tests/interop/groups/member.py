"""A consumer group member run as its own process by the group interop tests.

``python member.py CLIENT BOOTSTRAP TOPIC GROUP [INSTANCE_ID]`` subscribes with CLIENT
(``confluent``, ``confluent-coop``, ``confluent-consumer`` for KIP-848, ``kafka-python``,
``aiokafka``), then prints one JSON line per event on stdout:

* ``{"ev": "assign", "parts": [...]}`` whenever its assignment changes;
* ``{"ev": "rec", "p": P, "o": O}`` for each record, printed only after the synchronous commit
  that covers it succeeded (so a printed record is a committed one);
* ``{"ev": "commit_failed", "err": "..."}``.

SIGTERM closes the consumer cleanly (LeaveGroup, except for static members); SIGKILL is the
crash the tests inflict.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

SESSION_MS = 3000
HEARTBEAT_MS = 500
stopping = False


def emit(**event: Any) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def on_term(*_: Any) -> None:
    global stopping
    stopping = True


def run_confluent(kind: str, bootstrap: str, topic: str, group: str, instance: str | None) -> None:
    from confluent_kafka import Consumer, KafkaException

    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "topic.metadata.refresh.interval.ms": 1000,
    }
    if kind == "confluent-consumer":
        conf["group.protocol"] = "consumer"
    else:
        conf["session.timeout.ms"] = SESSION_MS if instance is None else 10_000
        conf["heartbeat.interval.ms"] = HEARTBEAT_MS
        if kind == "confluent-coop":
            conf["partition.assignment.strategy"] = "cooperative-sticky"
    if instance is not None:
        conf["group.instance.id"] = instance
    c = Consumer(conf)
    c.subscribe([topic])
    last: list[int] | None = None
    while not stopping:
        msgs = c.consume(100, 0.1)
        parts = sorted(tp.partition for tp in c.assignment())
        if parts != last:
            last = parts
            emit(ev="assign", parts=parts)
        good = [m for m in msgs if m.error() is None]
        if not good:
            continue
        try:
            c.commit(asynchronous=False)
        except KafkaException as exc:
            emit(ev="commit_failed", err=str(exc))
            continue
        for m in good:
            emit(ev="rec", p=m.partition(), o=m.offset())
    c.close()


def run_kafka_python(bootstrap: str, topic: str, group: str, instance: str | None) -> None:
    from kafka import KafkaConsumer
    from kafka.errors import KafkaError

    extra: dict[str, Any] = {}
    if instance is not None:
        extra["group_instance_id"] = instance
    c = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=SESSION_MS,
        heartbeat_interval_ms=HEARTBEAT_MS,
        metadata_max_age_ms=1000,
        **extra,
    )
    last: list[int] | None = None
    while not stopping:
        batches = c.poll(timeout_ms=100)
        parts = sorted(tp.partition for tp in c.assignment())
        if parts != last:
            last = parts
            emit(ev="assign", parts=parts)
        records = [r for rs in batches.values() for r in rs]
        if not records:
            continue
        try:
            c.commit()
        except KafkaError as exc:
            emit(ev="commit_failed", err=repr(exc))
            continue
        for r in records:
            emit(ev="rec", p=r.partition, o=r.offset)
    c.close()


async def run_aiokafka(bootstrap: str, topic: str, group: str) -> None:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import KafkaError

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, on_term)
    c = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=SESSION_MS,
        heartbeat_interval_ms=HEARTBEAT_MS,
        metadata_max_age_ms=1000,
    )
    await c.start()
    last: list[int] | None = None
    while not stopping:
        batches = await c.getmany(timeout_ms=100)
        parts = sorted(tp.partition for tp in c.assignment())
        if parts != last:
            last = parts
            emit(ev="assign", parts=parts)
        records = [r for rs in batches.values() for r in rs]
        if not records:
            continue
        try:
            await c.commit()
        except KafkaError as exc:
            emit(ev="commit_failed", err=repr(exc))
            continue
        for r in records:
            emit(ev="rec", p=r.partition, o=r.offset)
    await c.stop()


def main() -> None:
    kind, bootstrap, topic, group = sys.argv[1:5]
    instance = sys.argv[5] if len(sys.argv) > 5 else None
    signal.signal(signal.SIGTERM, on_term)
    if kind.startswith("confluent"):
        run_confluent(kind, bootstrap, topic, group, instance)
    elif kind == "kafka-python":
        run_kafka_python(bootstrap, topic, group, instance)
    elif kind == "aiokafka":
        asyncio.run(run_aiokafka(bootstrap, topic, group))
    else:
        raise SystemExit(f"unknown client {kind}")
    emit(ev="closed")


if __name__ == "__main__":
    main()
