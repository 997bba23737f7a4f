"""Transactional offset commits (TxnOffsetCommit) waiting for their transaction's outcome.

Kafka writes them to ``__consumer_offsets`` in the producer's transactional batch and lets the
group coordinator materialize them when the COMMIT marker reaches that partition. Here the
group coordinator's log stays non-transactional, so they are kept durably in
``__transaction_state`` next to the transaction, under a key version of odradek's own
(``PENDING_OFFSETS_KEY_VERSION``, which Kafka's key versions 0/1 never use):

    key:   version i16 = 100, transactional id (i16 string), group id (i16 string)
    value: producer id i64, producer epoch i16, count i32, then per partition:
           topic (i16 string), partition i32, offset i64, leader epoch i32,
           metadata (i16 string)

A later TxnOffsetCommit for the same group merges into the record. When the transaction
completes, COMMIT hands the offsets to the group coordinator (as ordinary offset records,
without member checks: they were checked when sent) before the Complete record; both
outcomes then tombstone the pending records. A crash in between repeats the completion on
load, and materializing the same offsets twice is harmless.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PENDING_OFFSETS_KEY_VERSION = 100
_I16 = struct.Struct(">h")
_HEAD = struct.Struct(">qhi")
_PART = struct.Struct(">iqi")

GroupOffsets = dict[tuple[str, int], "PendingOffset"]


@dataclass(frozen=True, slots=True)
class PendingOffset:
    offset: int
    metadata: str
    leader_epoch: int


@dataclass(slots=True)
class PendingGroupOffsets:
    producer_id: int
    producer_epoch: int
    offsets: GroupOffsets


def _str(s: str) -> bytes:
    raw = s.encode()
    return _I16.pack(len(raw)) + raw


def _read_str(data: bytes, pos: int) -> tuple[str, int]:
    n = _I16.unpack_from(data, pos)[0]
    return data[pos + 2 : pos + 2 + n].decode(), pos + 2 + n


def encode_key(txn_id: str, group_id: str) -> bytes:
    return _I16.pack(PENDING_OFFSETS_KEY_VERSION) + _str(txn_id) + _str(group_id)


def decode_key(data: bytes) -> tuple[str, str] | None:
    if len(data) < 2 or _I16.unpack_from(data)[0] != PENDING_OFFSETS_KEY_VERSION:
        return None
    txn_id, pos = _read_str(data, 2)
    group_id, _ = _read_str(data, pos)
    return txn_id, group_id


def encode_value(p: PendingGroupOffsets) -> bytes:
    out = bytearray(_HEAD.pack(p.producer_id, p.producer_epoch, len(p.offsets)))
    for (topic, part), o in sorted(p.offsets.items()):
        out += _str(topic) + _PART.pack(part, o.offset, o.leader_epoch) + _str(o.metadata)
    return bytes(out)


def decode_value(data: bytes) -> PendingGroupOffsets:
    pid, epoch, count = _HEAD.unpack_from(data)
    pos = _HEAD.size
    offsets: GroupOffsets = {}
    for _ in range(count):
        topic, pos = _read_str(data, pos)
        part, offset, leader_epoch = _PART.unpack_from(data, pos)
        metadata, pos = _read_str(data, pos + _PART.size)
        offsets[(topic, part)] = PendingOffset(offset, metadata, leader_epoch)
    return PendingGroupOffsets(pid, epoch, offsets)
