"""Codec micro-benchmarks: kio's generic codec vs odradek's hand-written hot paths.

Run: ``.venv/bin/python bench/codec_bench.py`` (about 20 s). Prints µs per operation.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from kio.schema.errors import ErrorCode as KioErrorCode
from kio.static.primitive import i32Timedelta

from odradek.protocol import kio_codec
from odradek.protocol.fetch import (
    FetchPartitionResult,
    FetchTopicResult,
    decode_fetch_request,
    encode_fetch_response,
)
from odradek.protocol.fetch_response import decode_fetch_response
from odradek.protocol.header import decode_request_header, encode_request_header
from odradek.protocol.metadata import MetadataPartition, MetadataTopic, encode_metadata_response
from odradek.protocol.produce import decode_produce_request

MB = 1 << 20


def per_call_us(fn: Callable[[], Any], budget_s: float = 1.0) -> float:
    """Best-of-5 mean time per call, in microseconds, within about ``budget_s`` seconds."""
    fn()
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 0.05:
        fn()
        n += 1
    reps = max(1, int(n * budget_s / 0.05 / 5))
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best * 1e6


def _mod(api_key: int, version: int, request: bool) -> Any:
    cls = (kio_codec.request_class if request else kio_codec.response_class)(api_key, version)
    return importlib.import_module(cls.__module__)


def _make(cls: Any, **kw: Any) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in kw.items() if k in names})


def _ms(value: int) -> i32Timedelta:
    return i32Timedelta.parse(datetime.timedelta(milliseconds=value))


def bench_metadata(version: int = 12, ntopics: int = 100, nparts: int = 3) -> tuple[float, float]:
    brokers = [(i, f"broker-{i}.example", 9092, None) for i in range(3)]
    topics = [
        MetadataTopic(
            0,
            f"topic-{t:03d}",
            uuid.UUID(int=t + 1),
            False,
            [MetadataPartition(0, p, p % 3, 5, [0, 1, 2], [0, 1, 2]) for p in range(nparts)],
        )
        for t in range(ntopics)
    ]
    m = _mod(3, version, False)
    entity = _make(
        m.MetadataResponse,
        throttle_time=_ms(0),
        brokers=tuple(
            _make(m.MetadataResponseBroker, node_id=n, host=h, port=p, rack=r)
            for n, h, p, r in brokers
        ),
        cluster_id="cluster",
        controller_id=0,
        topics=tuple(
            _make(
                m.MetadataResponseTopic,
                error_code=KioErrorCode(0),
                name=t.name,
                topic_id=t.topic_id,
                is_internal=False,
                partitions=tuple(
                    _make(
                        m.MetadataResponsePartition,
                        error_code=KioErrorCode(0),
                        partition_index=p.index,
                        leader_id=p.leader_id,
                        leader_epoch=p.leader_epoch,
                        replica_nodes=tuple(p.replicas),
                        isr_nodes=tuple(p.isr),
                        offline_replicas=(),
                    )
                    for p in t.partitions
                ),
            )
            for t in topics
        ),
    )

    def ours() -> bytes:
        return encode_metadata_response(version, 0, brokers, "cluster", 0, topics)

    assert ours() == kio_codec.encode_response(entity)
    return per_call_us(lambda: kio_codec.encode_response(entity)), per_call_us(ours)


def bench_produce(version: int) -> tuple[float, float]:
    m = _mod(0, version, True)
    records = bytes(MB)
    entity = m.ProduceRequest(
        transactional_id=None,
        acks=-1,
        timeout=_ms(30000),
        topic_data=(
            m.TopicProduceData(
                name="bench", partition_data=(m.PartitionProduceData(index=0, records=records),)
            ),
        ),
    )
    buf = memoryview(kio_codec.encode_request(entity))
    return (
        per_call_us(lambda: kio_codec.decode_request(0, version, buf, 0)),
        per_call_us(lambda: decode_produce_request(version, buf, 0)),
    )


def bench_fetch_response(version: int) -> tuple[float, float]:
    m = _mod(1, version, False)
    chunk = memoryview(bytes(MB))

    def via_kio() -> bytes:
        part = _make(
            m.PartitionData,
            partition_index=0,
            error_code=KioErrorCode(0),
            high_watermark=1000,
            last_stable_offset=1000,
            log_start_offset=0,
            aborted_transactions=None,
            records=bytes(chunk),  # kio needs one bytes object: a 1 MB copy
        )
        topic = (
            m.FetchableTopicResponse(topic_id=uuid.UUID(int=1), partitions=(part,))
            if version >= 13
            else m.FetchableTopicResponse(topic="bench", partitions=(part,))
        )
        resp = _make(
            m.FetchResponse,
            throttle_time=_ms(0),
            error_code=KioErrorCode(0),
            session_id=0,
            responses=(topic,),
        )
        return kio_codec.encode_response(resp)

    def ours() -> list[Any]:
        part = FetchPartitionResult(0, 0, 1000, 1000, 0, None, -1, [chunk], len(chunk))
        topic = FetchTopicResult("bench", uuid.UUID(int=1), [part])
        return encode_fetch_response(version, 0, 0, 0, [topic])

    assert b"".join(ours()) == via_kio()
    return per_call_us(via_kio), per_call_us(ours)


def bench_fetch_response_decode(version: int) -> tuple[float, float]:
    chunk = memoryview(bytes(MB))
    part = FetchPartitionResult(0, 0, 1000, 1000, 0, None, -1, [chunk], len(chunk))
    topic = FetchTopicResult("bench", uuid.UUID(int=1), [part])
    buf = memoryview(b"".join(encode_fetch_response(version, 0, 0, 0, [topic])))
    return (
        per_call_us(lambda: kio_codec.decode_response(1, version, buf, 0)),
        per_call_us(lambda: decode_fetch_response(version, buf, 0)),
    )


def bench_fetch_request(version: int) -> tuple[float, float]:
    m = _mod(1, version, True)
    part = m.FetchPartition(partition=0, fetch_offset=100, partition_max_bytes=MB)
    topic = (
        m.FetchTopic(topic_id=uuid.UUID(int=1), partitions=(part,))
        if version >= 13
        else m.FetchTopic(topic="bench", partitions=(part,))
    )
    entity = m.FetchRequest(
        max_wait=_ms(500), min_bytes=1, topics=(topic,), forgotten_topics_data=()
    )
    buf = memoryview(kio_codec.encode_request(entity))
    return (
        per_call_us(lambda: kio_codec.decode_request(1, version, buf, 0)),
        per_call_us(lambda: decode_fetch_request(version, buf, 0)),
    )


def bench_header() -> float:
    buf = memoryview(encode_request_header(1, 16, 42, "rdkafka") + b"body")
    return per_call_us(lambda: decode_request_header(buf))


def main() -> None:
    rows: list[tuple[str, float, float]] = []
    for v in (1, 12):
        rows.append(
            (f"Metadata v{v} response encode, 100 topics x 3 partitions", *bench_metadata(v))
        )
    for v in (7, 9, 11):
        rows.append((f"Produce v{v} request decode, 1 partition, 1 MB records", *bench_produce(v)))
    for v in (11, 16):
        rows.append(
            (f"Fetch v{v} response encode, 1 partition, 1 MB records", *bench_fetch_response(v))
        )
    for v in (11, 16):
        rows.append(
            (
                f"Fetch v{v} response decode, 1 partition, 1 MB records",
                *bench_fetch_response_decode(v),
            )
        )
    for v in (11, 16):
        rows.append(
            (f"Fetch v{v} request decode (kio + view), 1 partition", *bench_fetch_request(v))
        )
    print(f"{'case':<62} {'kio µs':>10} {'odradek µs':>11} {'ratio':>7}")
    for name, kio_us, ours_us in rows:
        print(f"{name:<62} {kio_us:>10.1f} {ours_us:>11.1f} {kio_us / ours_us:>6.1f}x")
    print(f"{'Request header decode (v2)':<62} {'':>10} {bench_header():>11.2f}")


if __name__ == "__main__":
    main()
