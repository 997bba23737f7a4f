"""Idempotent producers of three clients through a proxy that cuts connections mid-request:
every record arrives exactly once and in order (no duplicates, no gaps)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from odradek.testing.process import BrokerProcess, free_port

from .eos_helpers import CuttingProxy, create_topic, read_values, start_broker

pytestmark = pytest.mark.interop
N = 3000
CUTS = 6


@pytest.fixture()
def proxied(tmp_path: Path) -> Iterator[tuple[BrokerProcess, CuttingProxy]]:
    port = free_port()
    proxy = CuttingProxy(port, cut_every=40_000, max_cuts=CUTS)
    broker = start_broker(
        tmp_path / "data",
        port=port,
        **{"advertised.listeners": f"PLAINTEXT://127.0.0.1:{proxy.port}"},
    )
    proxy.start()
    yield broker, proxy
    proxy.stop()
    broker.stop()


def _values() -> list[bytes]:
    return [f"{i:06d}-".encode() + b"x" * 60 for i in range(N)]


def _check(broker: BrokerProcess, topic: str, proxy: CuttingProxy) -> None:
    direct = f"127.0.0.1:{broker.port}"
    got = read_values(direct, topic, N, committed=False)
    assert proxy.cuts >= 2, "the proxy never cut a connection mid-request"
    assert len(got) == N, f"{len(got)} records, {len(got) - len(set(got))} duplicates"
    assert got == _values()


def test_confluent_kafka_idempotent(proxied: tuple[BrokerProcess, CuttingProxy]) -> None:
    broker, proxy = proxied
    create_topic(f"127.0.0.1:{broker.port}", "idem-ck")
    p = Producer(
        {
            "bootstrap.servers": f"127.0.0.1:{proxy.port}",
            "enable.idempotence": True,
            "linger.ms": 2,
            "batch.num.messages": 100,
            "retry.backoff.ms": 50,
            "socket.timeout.ms": 3000,
            "message.timeout.ms": 60000,
        }
    )
    errors: list[object] = []
    for v in _values():
        p.produce("idem-ck", v, on_delivery=lambda e, _m: errors.append(e) if e else None)
        p.poll(0)
    assert p.flush(60) == 0
    assert errors == []
    _check(broker, "idem-ck", proxy)


def test_kafka_python_idempotent(proxied: tuple[BrokerProcess, CuttingProxy]) -> None:
    from kafka import KafkaProducer

    broker, proxy = proxied
    create_topic(f"127.0.0.1:{broker.port}", "idem-kp")
    p = KafkaProducer(
        bootstrap_servers=f"127.0.0.1:{proxy.port}",
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        batch_size=8192,
        retries=50,
        retry_backoff_ms=50,
        request_timeout_ms=3000,
        max_in_flight_requests_per_connection=5,
    )
    futures = [p.send("idem-kp", v) for v in _values()]
    p.flush(60)
    for f in futures:
        f.get(30)
    p.close(10)
    _check(broker, "idem-kp", proxy)


def test_aiokafka_idempotent(proxied: tuple[BrokerProcess, CuttingProxy]) -> None:
    from aiokafka import AIOKafkaProducer

    broker, proxy = proxied
    create_topic(f"127.0.0.1:{broker.port}", "idem-aio")

    async def run() -> None:
        p = AIOKafkaProducer(
            bootstrap_servers=f"127.0.0.1:{proxy.port}",
            enable_idempotence=True,
            linger_ms=2,
            max_batch_size=8192,
            request_timeout_ms=3000,
            retry_backoff_ms=50,
        )
        await p.start()
        try:
            futs = [await p.send("idem-aio", v) for v in _values()]
            await asyncio.wait_for(asyncio.gather(*futs), 60)
        finally:
            await p.stop()

    asyncio.run(run())
    _check(broker, "idem-aio", proxy)
