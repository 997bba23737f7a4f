"""Cluster mode: the transaction coordinator's markers to the leaders of a transaction's partitions.

:class:`MarkerSender` groups the partitions by their current leader (from the metadata cache),
sends one WriteTxnMarkers per leader through a :class:`MarkerTransport` and retries what is not
written yet: a partition without a leader, a leader that moved (NOT_LEADER_OR_FOLLOWER), an ISR
too small (NOT_ENOUGH_REPLICAS), a replication timeout, a lost connection. A partition is done
when its leader wrote the marker, or when it no longer exists (a deleted topic counts as done,
as in Kafka). Any other error ends the attempt for that partition, and the coordinator retries
the completion later. Retries go on while ``still_wanted()`` (the coordinator still owns the
transaction's partition and the transaction is still prepared), like Kafka's
``TransactionMarkerChannelManager``.

:class:`WireMarkerTransport` sends WriteTxnMarkers v1 over :class:`~odradek.net.client.BrokerClient`
connections (one per broker), and hands markers for partitions led here to a local writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Protocol

from odradek.common.errors import ErrorCode
from odradek.coordinator.txn.markers import MarkerRequest
from odradek.net.client import BrokerClient
from odradek.protocol import kio_codec
from odradek.protocol.header import encode_request_header
from odradek.protocol.primitives import skip_tagged_fields

log = logging.getLogger(__name__)
TopicPartition = tuple[str, int]
MarkerErrors = dict[TopicPartition, ErrorCode]
WRITE_TXN_MARKERS, VERSION = 27, 1

DONE = frozenset({ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION})
RETRIABLE = frozenset(
    {
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        ErrorCode.LEADER_NOT_AVAILABLE,
        ErrorCode.NOT_ENOUGH_REPLICAS,
        ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        ErrorCode.REQUEST_TIMED_OUT,
        ErrorCode.NETWORK_EXCEPTION,
        ErrorCode.KAFKA_STORAGE_ERROR,
        ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    }
)


class MarkerTransport(Protocol):
    async def send(self, broker: int, request: MarkerRequest) -> MarkerErrors:
        """WriteTxnMarkers to ``broker``; raises ConnectionError/OSError when unreachable."""
        ...


class MarkerSender:
    def __init__(
        self,
        leader_of: Callable[[TopicPartition], int | None],
        transport: MarkerTransport,
        backoff_s: float = 0.1,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.leader_of = leader_of
        self.transport = transport
        self.backoff_s = backoff_s
        self.sleep = sleep

    async def write(
        self, request: MarkerRequest, still_wanted: Callable[[], bool] = lambda: True
    ) -> MarkerErrors:
        """Every partition's outcome: DONE codes, a final error, or NOT_COORDINATOR when the
        coordinator stopped wanting it before the marker was written."""
        remaining = set(request.partitions)
        results: MarkerErrors = {}
        attempt = 0
        while remaining:
            if not still_wanted():
                results.update(dict.fromkeys(remaining, ErrorCode.NOT_COORDINATOR))
                break
            answers = await self._round(request, remaining)
            for tp, code in answers.items():
                if code not in RETRIABLE:
                    results[tp] = code
                    remaining.discard(tp)
            if remaining:
                attempt += 1
                if attempt % 50 == 1:
                    log.info("markers of producer %d: retrying %s", request.producer_id,
                             sorted(remaining)[:5])  # fmt: skip
                await self.sleep(self.backoff_s)
        return results

    async def _round(self, request: MarkerRequest, todo: set[TopicPartition]) -> MarkerErrors:
        by_leader: dict[int, list[TopicPartition]] = {}
        answers: MarkerErrors = {}
        for tp in sorted(todo):
            leader = self.leader_of(tp)
            if leader is None or leader < 0:
                answers[tp] = ErrorCode.LEADER_NOT_AVAILABLE
            else:
                by_leader.setdefault(leader, []).append(tp)
        leaders = list(by_leader)
        sends = [
            self.transport.send(b, dataclasses.replace(request, partitions=tuple(by_leader[b])))
            for b in leaders
        ]
        for b, got in zip(
            leaders, await asyncio.gather(*sends, return_exceptions=True), strict=True
        ):
            if isinstance(got, BaseException):
                if not isinstance(got, ConnectionError | OSError | TimeoutError):
                    log.warning("markers to broker %d failed: %r", b, got)
                answers.update(dict.fromkeys(by_leader[b], ErrorCode.NETWORK_EXCEPTION))
                continue
            for tp in by_leader[b]:
                # a partition missing from the answer is retried
                answers[tp] = got.get(tp, ErrorCode.NETWORK_EXCEPTION)
        return answers


LocalWrite = Callable[[MarkerRequest], Awaitable[MarkerErrors]]
Address = Callable[[int], tuple[str, int] | None]


class WireMarkerTransport:
    """WriteTxnMarkers v1 to other brokers; markers for this broker's partitions stay local."""

    def __init__(self, local_id: int, local_write: LocalWrite, address_of: Address) -> None:
        self.local_id = local_id
        self.local_write = local_write
        self.address_of = address_of
        self.clients: dict[int, BrokerClient] = {}
        self._closing: set[asyncio.Future[None]] = set()

    async def send(self, broker: int, request: MarkerRequest) -> MarkerErrors:
        if broker == self.local_id:
            return await self.local_write(request)
        client = self._client(broker)
        cid = client.next_correlation_id()
        head = encode_request_header(
            WRITE_TXN_MARKERS, VERSION, cid, f"txn-coordinator-{self.local_id}"
        )
        resp = await client.request(cid, [head, encode_request(request)], 30.0)
        return decode_response(resp)

    def _client(self, broker: int) -> BrokerClient:
        addr = self.address_of(broker)
        if addr is None:
            raise ConnectionError(f"broker {broker} is not known")
        client = self.clients.get(broker)
        if client is not None and (client.host, client.port) != addr:
            self._closing.add(asyncio.ensure_future(self.clients.pop(broker).close()))
            client = None
        if client is None:
            client = self.clients[broker] = BrokerClient(*addr)
        return client

    async def close(self) -> None:
        for client in list(self.clients.values()):
            with contextlib.suppress(Exception):
                await client.close()
        self.clients.clear()


def encode_request(request: MarkerRequest) -> bytes:
    req_cls = kio_codec.request_class(WRITE_TXN_MARKERS, VERSION)
    mod = sys.modules[req_cls.__module__]
    by_topic: dict[str, list[int]] = {}
    for t, p in request.partitions:
        by_topic.setdefault(t, []).append(p)
    marker = mod.WritableTxnMarker(
        producer_id=request.producer_id,
        producer_epoch=request.producer_epoch,
        transaction_result=request.commit,
        topics=tuple(
            mod.WritableTxnMarkerTopic(name=t, partition_indexes=tuple(ps))
            for t, ps in by_topic.items()
        ),
        coordinator_epoch=request.coordinator_epoch,
    )
    return kio_codec.encode_request(req_cls(markers=(marker,)))


def decode_response(buf: memoryview) -> MarkerErrors:
    off = skip_tagged_fields(buf, 0)  # response header v1
    resp = kio_codec.decode_response(WRITE_TXN_MARKERS, VERSION, buf, off)
    out: MarkerErrors = {}
    for marker in resp.markers:
        for topic in marker.topics:
            for p in topic.partitions:
                out[(topic.name, p.partition_index)] = ErrorCode(p.error_code)
    return out
