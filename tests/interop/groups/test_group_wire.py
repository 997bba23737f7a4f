"""Group APIs at the wire level: batched keys/groups, fencing errors, metadata, bad input."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from groups.group_procs import create_topic
from odradek.common.errors import ErrorCode
from odradek.protocol import header, kio_codec, shapes
from odradek.testing.process import BrokerProcess

pytestmark = pytest.mark.interop


class Wire:
    """One connection speaking raw Kafka requests, encoded and decoded with kio."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), 10)
        self.corr = 0

    def call(self, api_key: int, version: int, data: dict[str, Any]) -> Any:
        self.corr += 1
        body = kio_codec.encode_request(
            shapes.build(kio_codec.request_class(api_key, version), data)
        )
        frame = header.encode_request_header(api_key, version, self.corr, "wire-test") + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        (size,) = struct.unpack(">i", self._exact(4))
        reply = self._exact(size)
        flexible = header.response_header_flexible(api_key, version)
        corr, off = header.decode_response_header(memoryview(reply), flexible)
        assert corr == self.corr
        return kio_codec.decode_response(api_key, version, reply, off)

    def _exact(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            assert chunk, "connection closed"
            data += chunk
        return bytes(data)


@pytest.fixture(scope="module")
def wire_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    props = {"group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3"}
    proc = BrokerProcess(tmp_path_factory.mktemp("gwire") / "data", props=props).start()
    create_topic(proc.bootstrap, "wt", 2)
    yield proc
    proc.stop()


def _join(w: Wire, group: str, member_id: str = "") -> Any:
    return w.call(
        11,
        5,
        {
            "group_id": group,
            "session_timeout": 10000,
            "rebalance_timeout": 10000,
            "member_id": member_id,
            "protocol_type": "consumer",
            "protocols": [
                {"name": "range", "metadata": b"\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff"}
            ],
        },
    )


def _commit(w: Wire, group: str, generation: int, member: str, offset: int = 5) -> int:
    r = w.call(
        8,
        8,
        {
            "group_id": group,
            "generation_id_or_member_epoch": generation,
            "member_id": member,
            "topics": [
                {
                    "name": "wt",
                    "partitions": [
                        {
                            "partition_index": 0,
                            "committed_offset": offset,
                            "committed_leader_epoch": 3,
                            "committed_metadata": "meta-data",
                        }
                    ],
                }
            ],
        },
    )
    return int(r.topics[0].partitions[0].error_code)


def test_find_coordinator_batched_keys(wire_broker: BrokerProcess) -> None:
    w = Wire(wire_broker.port)
    r = w.call(10, 4, {"key_type": 0, "coordinator_keys": ["a", "b", ""]})
    by_key = {c.key: c for c in r.coordinators}
    assert by_key["a"].port == by_key["b"].port == wire_broker.port
    assert int(by_key["a"].error_code) == 0
    assert int(by_key[""].error_code) == ErrorCode.INVALID_REQUEST
    old = w.call(10, 1, {"key": "a", "key_type": 0})
    assert int(old.error_code) == 0 and old.port == wire_broker.port


def test_commit_fencing_metadata_and_batched_fetch(wire_broker: BrokerProcess) -> None:
    w = Wire(wire_broker.port)
    first = _join(w, "wg")
    assert int(first.error_code) == ErrorCode.MEMBER_ID_REQUIRED
    joined = _join(w, "wg", first.member_id)
    assert int(joined.error_code) == 0 and joined.generation_id == 1
    sync = w.call(
        14,
        3,
        {
            "group_id": "wg",
            "generation_id": 1,
            "member_id": joined.member_id,
            "assignments": [{"member_id": joined.member_id, "assignment": b"\x01"}],
        },
    )
    assert int(sync.error_code) == 0 and sync.assignment == b"\x01"
    assert _commit(w, "wg", 7, joined.member_id) == ErrorCode.ILLEGAL_GENERATION
    assert _commit(w, "wg", 1, "nobody") == ErrorCode.UNKNOWN_MEMBER_ID
    assert _commit(w, "wg", 1, joined.member_id) == ErrorCode.NONE
    assert _commit(w, "other", -1, "", offset=9) == ErrorCode.NONE  # standalone commit
    r = w.call(
        9,
        8,
        {
            "groups": [
                {"group_id": "wg", "topics": None},
                {"group_id": "other", "topics": [{"name": "wt", "partition_indexes": [0, 1]}]},
                {"group_id": "nothing", "topics": None},
            ]
        },
    )
    groups = {g.group_id: g for g in r.groups}
    p = groups["wg"].topics[0].partitions[0]
    assert (p.committed_offset, p.committed_leader_epoch, p.metadata) == (5, 3, "meta-data")
    other = {q.partition_index: q.committed_offset for q in groups["other"].topics[0].partitions}
    assert other == {0: 9, 1: -1}
    assert groups["nothing"].topics == ()
    hb = w.call(12, 3, {"group_id": "wg", "generation_id": 0, "member_id": joined.member_id})
    assert int(hb.error_code) == ErrorCode.ILLEGAL_GENERATION
    listed = w.call(16, 4, {"states_filter": ["Stable"]})
    assert [g.group_id for g in listed.groups] == ["wg"]


def test_garbage_assignment_and_unknown_topics_do_not_break_the_group(
    wire_broker: BrokerProcess,
) -> None:
    w = Wire(wire_broker.port)
    a = _join(w, "bad", _join(w, "bad").member_id)
    w2 = Wire(wire_broker.port)
    garbage = b"\xff" * 7
    sync = w.call(
        14,
        3,
        {
            "group_id": "bad",
            "generation_id": a.generation_id,
            "member_id": a.member_id,
            "assignments": [
                {"member_id": a.member_id, "assignment": garbage},
                {"member_id": "ghost", "assignment": b"x"},
            ],
        },
    )
    assert int(sync.error_code) == 0 and sync.assignment == garbage
    r = w2.call(
        8,
        8,
        {
            "group_id": "bad",
            "generation_id_or_member_epoch": a.generation_id,
            "member_id": a.member_id,
            "topics": [
                {
                    "name": "no-such-topic",
                    "partitions": [{"partition_index": 0, "committed_offset": 1}],
                },
                {"name": "wt", "partitions": [{"partition_index": 1, "committed_offset": 1}]},
            ],
        },
    )
    codes = {t.name: int(t.partitions[0].error_code) for t in r.topics}
    assert codes == {"no-such-topic": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "wt": 0}
    d = w2.call(15, 5, {"groups": ["bad"]})
    assert d.groups[0].group_state == "Stable"
    assert d.groups[0].members[0].member_assignment == garbage
