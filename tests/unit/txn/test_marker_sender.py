"""The cluster marker sender's retry logic on a fake transport (no sockets, no real sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from odradek.common.errors import ErrorCode
from odradek.coordinator.txn.marker_sender import (
    MarkerErrors,
    MarkerSender,
    decode_response,
    encode_request,
)
from odradek.coordinator.txn.markers import MarkerRequest
from odradek.protocol import kio_codec, shapes

E = ErrorCode
REQ = MarkerRequest(42, 3, 7, True, (("a", 0), ("a", 1), ("b", 0)))


class FakeTransport:
    """Answers per broker from a script: a dict of codes, or an exception to raise."""

    def __init__(self, script: Callable[[int, MarkerRequest, int], MarkerErrors | Exception]):
        self.script = script
        self.calls: list[tuple[int, tuple[tuple[str, int], ...]]] = []

    async def send(self, broker: int, request: MarkerRequest) -> MarkerErrors:
        self.calls.append((broker, request.partitions))
        got = self.script(broker, request, len(self.calls))
        if isinstance(got, Exception):
            raise got
        return got


async def _no_sleep(_s: float) -> None:
    await asyncio.sleep(0)


def run(sender: MarkerSender, wanted: Callable[[], bool] = lambda: True) -> MarkerErrors:
    return asyncio.run(sender.write(REQ, wanted))


def test_one_request_per_leader_with_its_partitions() -> None:
    leaders = {("a", 0): 1, ("a", 1): 2, ("b", 0): 1}
    t = FakeTransport(lambda _b, r, _n: dict.fromkeys(r.partitions, E.NONE))
    out = run(MarkerSender(leaders.get, t, sleep=_no_sleep))
    assert out == dict.fromkeys(REQ.partitions, E.NONE)
    assert sorted(t.calls) == [(1, (("a", 0), ("b", 0))), (2, (("a", 1),))]


def test_not_leader_is_retried_at_the_new_leader() -> None:
    leaders = {("a", 0): 1, ("a", 1): 1, ("b", 0): 1}

    def script(broker: int, r: MarkerRequest, n: int) -> MarkerErrors:
        if broker == 1 and ("b", 0) in r.partitions:
            leaders[("b", 0)] = 3  # the leader moved while the request was in flight
            return {**dict.fromkeys(r.partitions, E.NONE), ("b", 0): E.NOT_LEADER_OR_FOLLOWER}
        return dict.fromkeys(r.partitions, E.NONE)

    t = FakeTransport(script)
    out = run(MarkerSender(leaders.get, t, sleep=_no_sleep))
    assert out == dict.fromkeys(REQ.partitions, E.NONE)
    assert t.calls == [(1, REQ.partitions), (3, (("b", 0),))]


def test_connection_errors_and_missing_leaders_are_retried() -> None:
    leaders: dict[tuple[str, int], int | None] = dict.fromkeys(REQ.partitions, 2)
    leaders[("a", 1)] = None  # no leader yet

    def script(broker: int, r: MarkerRequest, n: int) -> MarkerErrors | Exception:
        if n <= 2:
            leaders[("a", 1)] = 2
            return ConnectionError("refused")
        return dict.fromkeys(r.partitions, E.NONE)

    t = FakeTransport(script)
    out = run(MarkerSender(leaders.get, t, sleep=_no_sleep))
    assert out == dict.fromkeys(REQ.partitions, E.NONE)
    assert len(t.calls) == 3


def test_deleted_partition_is_done_and_other_errors_are_final() -> None:
    def script(_b: int, r: MarkerRequest, _n: int) -> MarkerErrors:
        codes = {("a", 0): E.UNKNOWN_TOPIC_OR_PARTITION, ("a", 1): E.CORRUPT_MESSAGE}
        return {tp: codes.get(tp, E.NONE) for tp in r.partitions}

    t = FakeTransport(script)
    out = run(MarkerSender(lambda _tp: 1, t, sleep=_no_sleep))
    assert out == {
        ("a", 0): E.UNKNOWN_TOPIC_OR_PARTITION,
        ("a", 1): E.CORRUPT_MESSAGE,
        ("b", 0): E.NONE,
    }
    assert len(t.calls) == 1


def test_partitions_missing_from_an_answer_are_retried() -> None:
    def script(_b: int, r: MarkerRequest, n: int) -> MarkerErrors:
        return {r.partitions[0]: E.NONE} if n == 1 else dict.fromkeys(r.partitions, E.NONE)

    t = FakeTransport(script)
    assert run(MarkerSender(lambda _tp: 1, t, sleep=_no_sleep)) == dict.fromkeys(
        REQ.partitions, E.NONE
    )
    assert t.calls[1] == (1, REQ.partitions[1:])


def test_stops_when_no_longer_wanted() -> None:
    rounds = [0]

    def wanted() -> bool:
        rounds[0] += 1
        return rounds[0] <= 3

    t = FakeTransport(lambda _b, r, _n: dict.fromkeys(r.partitions, E.NOT_ENOUGH_REPLICAS))
    out = run(MarkerSender(lambda _tp: 1, t, sleep=_no_sleep), wanted)
    assert out == dict.fromkeys(REQ.partitions, E.NOT_COORDINATOR)
    assert len(t.calls) == 3


def test_backoff_between_rounds() -> None:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    def script(_b: int, r: MarkerRequest, n: int) -> MarkerErrors:
        return dict.fromkeys(r.partitions, E.REQUEST_TIMED_OUT if n < 3 else E.NONE)

    run(MarkerSender(lambda _tp: 1, FakeTransport(script), backoff_s=0.25, sleep=sleep))
    assert slept == [0.25, 0.25]


def test_write_txn_markers_v1_codec() -> None:
    body = encode_request(REQ)
    decoded = kio_codec.decode_request(27, 1, body)
    (marker,) = decoded.markers
    assert (marker.producer_id, marker.producer_epoch, marker.coordinator_epoch) == (42, 3, 7)
    assert marker.transaction_result is True
    parts = {(t.name, p) for t in marker.topics for p in t.partition_indexes}
    assert parts == set(REQ.partitions)
    # a response as a broker sends it: header v1 tag section, then the body
    resp = shapes.build(
        kio_codec.response_class(27, 1),
        {
            "markers": [
                {
                    "producer_id": 42,
                    "topics": [
                        {
                            "name": "a",
                            "partitions": [
                                {"partition_index": 0, "error_code": 0},
                                {"partition_index": 1, "error_code": 6},
                            ],
                        }
                    ],
                }
            ]
        },
    )
    raw = memoryview(b"\x00" + kio_codec.encode_response(resp))
    assert decode_response(raw) == {("a", 0): E.NONE, ("a", 1): E.NOT_LEADER_OR_FOLLOWER}
