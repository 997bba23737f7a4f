"""``__transaction_state`` records, in Kafka's layouts (``TransactionLogKey``/``Value`` v0).

Key: version i16 = 0, transactional id (i16-length string). Value v0: version i16 = 0,
producer id i64, producer epoch i16, transaction timeout ms i32, status i8, partitions
(nullable array, i32 count, of topic string + i32 array of partition ids), last update
timestamp i64, start timestamp i64. A null value (tombstone) removes an expired id.
Value v1 (flexible, KIP-890) is read for its v0 fields; tagged fields are ignored.

Status bytes: Empty 0, Ongoing 1, PrepareCommit 2, PrepareAbort 3, CompleteCommit 4,
CompleteAbort 5, Dead 6, PrepareEpochFence 7.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_VALUE_HEAD = struct.Struct(">hqhib")
_TIMES = struct.Struct(">qq")
TOPIC = "__transaction_state"


class TxnState(enum.IntEnum):
    EMPTY = 0
    ONGOING = 1
    PREPARE_COMMIT = 2
    PREPARE_ABORT = 3
    COMPLETE_COMMIT = 4
    COMPLETE_ABORT = 5
    DEAD = 6
    PREPARE_EPOCH_FENCE = 7

    @property
    def kafka_name(self) -> str:
        return "".join(w.capitalize() for w in self.name.split("_"))


@dataclass(frozen=True, slots=True)
class TxnValue:
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: TxnState
    partitions: frozenset[tuple[str, int]]
    last_update_ms: int
    start_ms: int

    def encode(self) -> bytes:
        out = bytearray(
            _VALUE_HEAD.pack(0, self.producer_id, self.producer_epoch, self.timeout_ms, self.state)
        )
        by_topic: dict[str, list[int]] = {}
        for topic, p in sorted(self.partitions):
            by_topic.setdefault(topic, []).append(p)
        out += _I32.pack(len(by_topic))
        for topic, parts in by_topic.items():
            raw = topic.encode()
            out += _I16.pack(len(raw)) + raw + _I32.pack(len(parts))
            out += struct.pack(f">{len(parts)}i", *parts)
        out += _TIMES.pack(self.last_update_ms, self.start_ms)
        return bytes(out)


def encode_key(transactional_id: str) -> bytes:
    raw = transactional_id.encode()
    return _I16.pack(0) + _I16.pack(len(raw)) + raw


def decode_key(data: bytes) -> str | None:
    """The transactional id of a key, or None for a key of another version."""
    if len(data) < 4 or _I16.unpack_from(data)[0] != 0:
        return None
    n = _I16.unpack_from(data, 2)[0]
    return data[4 : 4 + n].decode()


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def decode_value(data: bytes) -> TxnValue:
    version, pid, epoch, timeout, status = _VALUE_HEAD.unpack_from(data)
    pos = _VALUE_HEAD.size
    flexible = version >= 1
    if flexible:
        count, pos = _uvarint(data, pos)
        count -= 1
    else:
        count = _I32.unpack_from(data, pos)[0]
        pos += 4
    parts: set[tuple[str, int]] = set()
    for _ in range(max(count, 0)):
        if flexible:
            n, pos = _uvarint(data, pos)
            n -= 1
        else:
            n = _I16.unpack_from(data, pos)[0]
            pos += 2
        topic = data[pos : pos + n].decode()
        pos += n
        if flexible:
            k, pos = _uvarint(data, pos)
            k -= 1
        else:
            k = _I32.unpack_from(data, pos)[0]
            pos += 4
        for p in struct.unpack_from(f">{k}i", data, pos):
            parts.add((topic, p))
        pos += 4 * k
        if flexible:
            _tags, pos = _uvarint(data, pos)  # a topic entry's tagged fields: none known
    updated, started = _TIMES.unpack_from(data, pos)
    return TxnValue(pid, epoch, timeout, TxnState(status), frozenset(parts), updated, started)


def partition_for(transactional_id: str, num_partitions: int) -> int:
    """Kafka's ``Utils.abs(transactionalId.hashCode) % n`` (Java String hashCode)."""
    h = 0
    data = transactional_id.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    if h >= 0x80000000:
        h -= 0x100000000
    h = 0 if h == -(2**31) else abs(h)
    return h % num_partitions
