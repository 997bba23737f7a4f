"""ReplicaFetcher: a follower's loop pulling one leader's partitions (Kafka's fetcher thread).

One fetcher per leader broker. A partition added to it starts *truncating*: the fetcher asks the
leader OffsetForLeaderEpoch(latest local epoch) and cuts the local log where it diverges
(KIP-101/KIP-279): at the leader's end offset for that epoch when the leader knows it, else at
the local end offset of the epoch the leader answered with, else at the high watermark. Then it
fetches from the log end offset with Fetch v12 (``replica_id`` = this broker), appends the
leader's batches as they are (offsets and epochs assigned by the leader), takes
``min(leader high watermark, log end offset)`` as its high watermark and follows the leader's log
start offset up (DeleteRecords, retention). A fetch offset below the leader's log start
(OFFSET_OUT_OF_RANGE carrying the leader's ``log_start_offset``) empties the local log and
restarts it at the leader's log start (Kafka's ``truncateFullyAndStartAt``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from odradek.common.errors import ErrorCode, KafkaError
from odradek.net.client import BrokerClient
from odradek.protocol import kio_codec, shapes
from odradek.protocol.fetch_response import decode_fetch_response
from odradek.protocol.header import encode_request_header, response_header_flexible
from odradek.protocol.primitives import DecodeError, skip_tagged_fields, uvarint, write_string
from odradek.records.batch import HEADER_SIZE as BATCH_HEADER_SIZE
from odradek.records.batch import read_header
from odradek.replication.throttle import ReplicationThrottle
from odradek.replication.truncation import end_of_epoch, truncation_offset

if TYPE_CHECKING:
    from odradek.storage.log import Log

log = logging.getLogger(__name__)

FETCH_VERSION = 12
EPOCH_VERSION = 3
TopicPartition = tuple[str, int]


class FetcherHost(Protocol):
    local_id: int

    def follower_log(self, tp: TopicPartition, leader_epoch: int) -> Log | None: ...

    def on_follower_progress(self, tp: TopicPartition) -> None: ...


@dataclass(slots=True)
class _State:
    leader_epoch: int
    truncating: bool = True
    failed: bool = False


@dataclass(frozen=True, slots=True)
class FetcherConfig:
    max_wait_ms: int = 500
    min_bytes: int = 1
    max_bytes: int = 10 * 1024 * 1024
    partition_max_bytes: int = 1024 * 1024
    backoff_s: float = 0.2
    request_timeout_s: float = 30.0
    throttle: ReplicationThrottle | None = None  # follower.replication.throttled.rate


_FETCH_HEAD = struct.Struct(">iiiibii")  # replica_id ... session_epoch (Fetch v12)
_FETCH_PARTITION = struct.Struct(">iiqiqib")  # partition ... partition_max_bytes, no tags
_FETCH_TAIL = b"\x01\x01\x00"  # no forgotten topics, rack_id "", no tags (cluster_id null)


def encode_replica_fetch(
    replica_id: int, config: FetcherConfig, topics: dict[str, list[tuple[int, int, int, int]]]
) -> bytes:
    """The body of a Fetch v12 request from a follower, written directly (no entity objects).

    ``topics`` maps a topic to ``(partition, current_leader_epoch, fetch_offset,
    log_start_offset)`` tuples. Layout (flexible version, compact arrays and strings)::

        replica_id i32, max_wait_ms i32, min_bytes i32, max_bytes i32, isolation_level i8,
        session_id i32, session_epoch i32,
        topics [topic, partitions [partition i32, current_leader_epoch i32, fetch_offset i64,
                last_fetched_epoch i32, log_start_offset i64, partition_max_bytes i32, tags],
                tags],
        forgotten_topics_data [], rack_id, tags
    """
    out = bytearray(
        _FETCH_HEAD.pack(
            replica_id, config.max_wait_ms, config.min_bytes, config.max_bytes, 0, 0, -1
        )
    )
    out += uvarint(len(topics) + 1)
    pack = _FETCH_PARTITION.pack
    limit = config.partition_max_bytes
    for name, parts in topics.items():
        write_string(out, name, compact=True)
        out += uvarint(len(parts) + 1)
        for partition, epoch, fetch_offset, log_start in parts:
            out += pack(partition, epoch, fetch_offset, -1, log_start, limit, 0)
        out += b"\x00"
    out += _FETCH_TAIL
    return bytes(out)


class ReplicaFetcher:
    def __init__(
        self, host: FetcherHost, leader_id: int, addr: tuple[str, int], config: FetcherConfig
    ) -> None:
        self.host = host
        self.leader_id = leader_id
        self.addr = addr
        self.config = config
        self.partitions: dict[TopicPartition, _State] = {}
        self.client = BrokerClient(addr[0], addr[1])
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, tp: TopicPartition, leader_epoch: int) -> None:
        self.partitions[tp] = _State(leader_epoch)
        self._wake.set()

    def remove(self, tp: TopicPartition) -> None:
        self.partitions.pop(tp, None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"fetcher-{self.leader_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

    async def _run(self) -> None:
        while True:
            if not self.partitions:
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                if any(s.truncating for s in self.partitions.values()):
                    await self._truncate()
                progressed = await self._fetch_once()
            except (ConnectionError, OSError, DecodeError, KafkaError) as exc:
                log.info("fetcher for leader %d: %s", self.leader_id, exc)
                progressed = False
            if not progressed:
                await asyncio.sleep(self.config.backoff_s)

    async def _call(self, api_key: int, version: int, request: Any) -> tuple[memoryview, int]:
        """Send a request (a kio entity, or an already encoded body) and await its response."""
        cid = self.client.next_correlation_id()
        head = encode_request_header(api_key, version, cid, f"replica-fetcher-{self.host.local_id}")
        body = request if isinstance(request, bytes) else kio_codec.encode_request(request)
        frame = [head, body]
        resp = await self.client.request(cid, frame, self.config.request_timeout_s)
        # the client strips the correlation id; a flexible header adds a tag section
        off = skip_tagged_fields(resp, 0) if response_header_flexible(api_key, version) else 0
        return resp, off

    # ------------------------------------------------------------------ truncation
    async def _truncate(self) -> None:
        todo: dict[str, list[dict[str, int]]] = {}
        logs: dict[TopicPartition, Log] = {}
        for tp, st in list(self.partitions.items()):
            if not st.truncating:
                continue
            lg = self.host.follower_log(tp, st.leader_epoch)
            if lg is None:
                continue
            logs[tp] = lg
            todo.setdefault(tp[0], []).append(
                {
                    "partition": tp[1],
                    "current_leader_epoch": st.leader_epoch,
                    "leader_epoch": lg.epochs.latest_epoch,
                }
            )
        if not todo:
            return
        cls = kio_codec.request_class(23, EPOCH_VERSION)
        topics = [{"topic": t, "partitions": ps} for t, ps in todo.items()]
        req = shapes.build(cls, {"replica_id": self.host.local_id, "topics": topics})
        resp, off = await self._call(23, EPOCH_VERSION, req)
        body = kio_codec.decode_response(23, EPOCH_VERSION, resp, off)
        for t in body.topics:
            for p in t.partitions:
                tp = (str(t.topic), int(p.partition))
                state, lg = self.partitions.get(tp), logs.get(tp)
                if state is None or lg is None:
                    continue
                if int(p.error_code) != 0:
                    log.info("OffsetForLeaderEpoch %s: error %s", tp, int(p.error_code))
                    continue
                self._truncate_one(tp, lg, int(p.leader_epoch), int(p.end_offset))
                state.truncating = False

    def _truncate_one(self, tp: TopicPartition, lg: Log, epoch: int, end_offset: int) -> None:
        target = truncation_offset(
            lg.log_end_offset,
            lg.high_watermark,
            lg.epochs.latest_epoch,
            lambda e: end_of_epoch(lg.epochs.entries, lg.log_end_offset, e),
            epoch,
            end_offset,
        )
        if target < lg.log_end_offset:
            log.warning(
                "%s-%d: truncating from %d to %d (leader epoch %d ends at %d)",
                tp[0], tp[1], lg.log_end_offset, target, epoch, end_offset,
            )  # fmt: skip
            lg.truncate_to(target)

    # ------------------------------------------------------------------ fetch
    async def _fetch_once(self) -> bool:
        logs: dict[TopicPartition, Log] = {}
        topics: dict[str, list[tuple[int, int, int, int]]] = {}
        throttle = self.config.throttle
        for tp, st in self.partitions.items():
            if st.truncating:
                continue
            lg = self.host.follower_log(tp, st.leader_epoch)
            if lg is None or (throttle and throttle.follower_blocked(tp[1], lg.config)):
                continue
            logs[tp] = lg
            topics.setdefault(tp[0], []).append(
                (tp[1], st.leader_epoch, lg.log_end_offset, lg.log_start_offset)
            )
        if not logs:
            return False
        req = encode_replica_fetch(self.host.local_id, self.config, topics)
        resp, off = await self._call(1, FETCH_VERSION, req)
        view = decode_fetch_response(FETCH_VERSION, resp, off)
        if view.error_code:
            raise KafkaError(ErrorCode(view.error_code), "fetch failed")
        ok = True
        for topic in view.topics:
            for part in topic.partitions:
                tp = (topic.name, part.index)
                lg = logs.get(tp)
                if lg is not None and tp in self.partitions:
                    ok = self._apply(tp, lg, part) and ok
                    if throttle and throttle.follower_throttled(tp[1], lg.config):
                        throttle.follower.record(sum(len(b) for b in part.records or ()))
        return ok

    def _apply(self, tp: TopicPartition, lg: Log, part: Any) -> bool:
        code = part.error_code
        if code == ErrorCode.OFFSET_OUT_OF_RANGE:
            return self._out_of_range(tp, lg, part.log_start_offset)
        if code != 0:
            log.debug("fetch %s from %d: error %d", tp, self.leader_id, code)
            return False
        first = True
        for buf in part.records or ():
            if len(buf):
                if first:
                    _restart_at_batch(tp, lg, buf)
                    first = False
                lg.append_as_follower(buf)  # a large response is a writable buffer: no copy
        lg.update_high_watermark(min(part.high_watermark, lg.log_end_offset))
        leader_start = min(part.log_start_offset, lg.high_watermark)
        if leader_start > lg.log_start_offset:  # DeleteRecords / retention on the leader
            lg.delete_records_before(leader_start)
        self.host.on_follower_progress(tp)
        return True

    def _out_of_range(self, tp: TopicPartition, lg: Log, leader_start: int) -> bool:
        """OFFSET_OUT_OF_RANGE from the leader. Below the leader's log start: drop the whole log
        and restart empty there (Kafka's ``truncateFullyAndStartAt``), then fetch on; otherwise
        the follower is past the leader's end: truncate through OffsetForLeaderEpoch first."""
        if 0 <= lg.log_end_offset < leader_start:
            log.warning(
                "%s-%d: log end %d is below the leader's log start %d: restarting the log there",
                tp[0], tp[1], lg.log_end_offset, leader_start,
            )  # fmt: skip
            lg.truncate_fully_and_start_at(leader_start)
            return True
        self.partitions[tp].truncating = True
        return False


def _restart_at_batch(tp: TopicPartition, lg: Log, buf: Any) -> None:
    """An empty log whose start falls inside the leader's first batch (DeleteRecords is not
    batch aligned) restarts at that batch's base offset, as Kafka's follower does; the log start
    then moves up to the leader's again."""
    if len(buf) < BATCH_HEADER_SIZE or lg.log_end_offset != lg.log_start_offset:
        return
    h = read_header(buf, 0)
    if h.base_offset < lg.log_end_offset <= h.last_offset:
        log.info("%s-%d: first batch starts at %d, below the empty log's start %d",
                 tp[0], tp[1], h.base_offset, lg.log_end_offset)  # fmt: skip
        lg.truncate_fully_and_start_at(h.base_offset)
