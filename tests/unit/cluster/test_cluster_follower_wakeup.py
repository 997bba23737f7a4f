"""A follower fetch parked on the leader completes on new data or on lost leadership, and is not
woken by a high watermark step (which it learns from its next fetch anyway)."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import time
from pathlib import Path
from typing import Any

import pytest
from kio.schema.fetch.v12 import request as fetch_v12

from odradek.broker.broker import Broker
from odradek.broker.context import RequestContext
from odradek.broker.handlers import fetch
from odradek.common.config import BrokerConfig
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import kio_codec
from odradek.protocol.fetch_response import decode_fetch_response
from odradek.records.builder import SimpleRecord, build_batch

TP = ("rep", 0)


class _Conn:
    closed = False
    peer = ("127.0.0.1", 1)
    state: dict[str, object] = {}


class _Replicas:
    """The leader side ClusterReplicas offers the fetch handler, over a real log."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.led = True
        self.follower_offsets: list[int] = []

    def leader(self, topic: str, partition: int) -> tuple[None, Any]:
        if not self.led:
            raise KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, "moved")
        return None, self.broker.log_manager.get_log(topic, partition)

    def on_follower_fetch(self, topic: str, partition: int, replica: int, offset: int) -> None:
        self.follower_offsets.append(offset)


class _Cluster:
    def __init__(self, broker: Broker) -> None:
        self.replicas = _Replicas(broker)

    def leader_throttle_gate(self, replica_id: int) -> None:
        return None


def _body(offset: int) -> memoryview:
    req = fetch_v12.FetchRequest(
        replica_id=2,
        max_wait=datetime.timedelta(seconds=5),
        min_bytes=1,
        max_bytes=1 << 20,
        isolation_level=0,
        session_id=0,
        session_epoch=-1,
        topics=(
            fetch_v12.FetchTopic(
                topic=TP[0],
                partitions=(
                    fetch_v12.FetchPartition(
                        partition=0,
                        current_leader_epoch=-1,
                        fetch_offset=offset,
                        last_fetched_epoch=-1,
                        log_start_offset=-1,
                        partition_max_bytes=1 << 20,
                    ),
                ),
            ),
        ),
        forgotten_topics_data=(),
        rack_id="",
    )
    return memoryview(kio_codec.encode_request(req))


def _partition(body: Any) -> Any:
    buf = memoryview(b"".join(bytes(b) for b in body))
    return decode_fetch_response(12, buf, 0).topics[0].partitions[0]


def test_parked_follower_fetch_wakes_on_data_and_on_leadership_loss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    real_read_all = fetch._read_all

    def counting(*args: Any) -> Any:
        reads.append(1)
        return real_read_all(*args)

    monkeypatch.setattr(fetch, "_read_all", counting)

    async def run() -> tuple[bool, int, int, int, float]:
        broker = Broker(BrokerConfig({"group.initial.rebalance.delay.ms": "0"}), tmp_path)
        broker.log_manager.startup()
        broker.topics.create(TP[0], 1)
        cluster = _Cluster(broker)
        broker.cluster = cluster  # type: ignore[assignment]
        lg = broker.log_manager.get_log(*TP)
        assert lg is not None
        ctx = RequestContext(1, 12, 1, "replica", broker, _Conn(), 0)  # type: ignore[arg-type]
        pending = fetch.handle(ctx, _body(0), 0)
        assert inspect.isawaitable(pending)
        task = asyncio.ensure_future(pending)
        await asyncio.sleep(0.01)
        reads_parked = len(reads)
        broker.purgatory.notify(TP)  # a high watermark step: nothing new to replicate
        await asyncio.sleep(0.01)
        stayed_parked = not task.done() and len(reads) == reads_parked
        batch = build_batch([SimpleRecord(b"k", b"v")], timestamp=1_700_000_000_000)
        lg.append_as_leader(memoryview(bytearray(batch)), 0)
        broker.purgatory.notify(TP)
        got = _partition(await asyncio.wait_for(task, 2))

        second = fetch.handle(ctx, _body(lg.log_end_offset), 0)
        assert inspect.isawaitable(second)
        task2 = asyncio.ensure_future(second)
        await asyncio.sleep(0.01)
        cluster.replicas.led = False  # leadership moved away
        start = time.monotonic()
        broker.purgatory.notify(TP)
        lost = _partition(await asyncio.wait_for(task2, 2))
        waited = time.monotonic() - start
        broker.log_manager.shutdown()
        return stayed_parked, got.error_code, got.records_size, lost.error_code, waited

    parked, code, size, lost_code, waited = asyncio.run(run())
    assert parked
    assert code == 0 and size > 0
    assert lost_code == ErrorCode.NOT_LEADER_OR_FOLLOWER
    assert waited < 1.0  # completed by the notify, not by the 5 s max_wait
