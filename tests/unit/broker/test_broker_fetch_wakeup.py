"""A fetch that parks in the purgatory is woken by an append made before its task first runs."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import time
from pathlib import Path

from kio.schema.fetch.v12 import request as fetch_v12

from odradek.broker.broker import Broker
from odradek.broker.context import RequestContext
from odradek.broker.handlers import fetch
from odradek.common.config import BrokerConfig
from odradek.protocol import kio_codec
from odradek.records.builder import SimpleRecord, build_batch


class _Conn:
    closed = False
    peer = ("127.0.0.1", 1)
    state: dict[str, object] = {}


def _fetch_body(topic: str) -> memoryview:
    req = fetch_v12.FetchRequest(
        replica_id=-1,
        max_wait=datetime.timedelta(seconds=5),
        min_bytes=1,
        max_bytes=1 << 20,
        isolation_level=0,
        session_id=0,
        session_epoch=-1,
        topics=(
            fetch_v12.FetchTopic(
                topic=topic,
                partitions=(
                    fetch_v12.FetchPartition(
                        partition=0,
                        current_leader_epoch=-1,
                        fetch_offset=0,
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


def test_append_between_handle_and_first_step_wakes_fetch(tmp_path: Path) -> None:
    async def run() -> float:
        broker = Broker(BrokerConfig({"group.initial.rebalance.delay.ms": "0"}), tmp_path)
        broker.log_manager.startup()
        broker.topics.create("wake", 1)
        ctx = RequestContext(1, 12, 1, "t", broker, _Conn(), 0)  # type: ignore[arg-type]
        pending = fetch.handle(ctx, _fetch_body("wake"), 0)
        assert inspect.isawaitable(pending)  # nothing to read yet: the fetch parks
        batch = build_batch([SimpleRecord(b"k", b"v")], timestamp=1_700_000_000_000)
        broker.replicas.append("wake", 0, memoryview(bytearray(batch)), 0)
        start = time.monotonic()
        body = await asyncio.wait_for(pending, 10)
        elapsed = time.monotonic() - start
        assert body is not None and sum(len(b) for b in body) > len(batch)
        broker.log_manager.shutdown()
        return elapsed

    assert asyncio.run(run()) < 1.0  # not the 5 s max_wait
