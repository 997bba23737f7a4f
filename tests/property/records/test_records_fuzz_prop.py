"""Property: damaged or random bytes only ever raise KafkaError, never anything else."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.common.config import LogConfig
from odradek.common.errors import KafkaError
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.compression import Codec
from odradek.records.record import iter_records
from odradek.storage.validate import validate_request

BASE = [
    build_batch([SimpleRecord(b"key", b"value" * 30, (("h", b"v"),))] * 3, codec=c) for c in Codec
]


@settings(max_examples=200, deadline=None)
@given(
    which=st.integers(0, len(BASE) - 1),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 400),
)
def test_damaged_batches_raise_only_kafka_errors(
    which: int, flips: list[tuple[int, int]], cut: int
) -> None:
    raw = bytearray(BASE[which])
    for pos, val in flips:
        raw[pos % len(raw)] = val
    del raw[len(raw) - min(cut, len(raw)) :]
    with contextlib.suppress(KafkaError):
        validate_request(memoryview(raw), LogConfig(), leader=True)
    with contextlib.suppress(KafkaError):  # no CRC check here: decoding itself must be safe
        list(iter_records(bytes(raw)))


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_raise_only_kafka_errors(data: bytes) -> None:
    with contextlib.suppress(KafkaError):
        validate_request(memoryview(bytearray(data)), LogConfig(), leader=True)
