"""Transaction markers: the control batch written to each partition of a transaction.

A marker is a v2 batch with the transactional and control attributes, the producer id and
epoch, base sequence -1 and one record: key = version i16 0 + type i16 (0 ABORT, 1 COMMIT),
value = version i16 0 + coordinator epoch i32 (Kafka's ``EndTransactionMarker``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from odradek.common.errors import ErrorCode
from odradek.records.builder import SimpleRecord, build_batch

_KEY = struct.Struct(">hh")
_VALUE = struct.Struct(">hi")
ABORT, COMMIT = 0, 1


@dataclass(frozen=True, slots=True)
class MarkerRequest:
    producer_id: int
    producer_epoch: int
    coordinator_epoch: int
    commit: bool
    partitions: tuple[tuple[str, int], ...]


MarkersDone = Callable[[dict[tuple[str, int], ErrorCode]], None]


class MarkerWriter(Protocol):
    """Appends markers to the partitions' leaders, then calls ``done`` with the per-partition
    errors (NONE when written), at once (one broker) or later (a cluster)."""

    def write_markers(
        self, request: MarkerRequest, done: MarkersDone, still_wanted: Callable[[], bool]
    ) -> None: ...


def build_marker(
    producer_id: int, producer_epoch: int, coordinator_epoch: int, commit: bool, now_ms: int
) -> bytes:
    key = _KEY.pack(0, COMMIT if commit else ABORT)
    value = _VALUE.pack(0, coordinator_epoch)
    return build_batch(
        [SimpleRecord(key, value)],
        timestamp=now_ms,
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        base_sequence=-1,
        transactional=True,
        control=True,
    )
