"""Edge cases of the primitive readers: truncation, overlong varints, null handling."""

from __future__ import annotations

import pytest

from odradek.protocol import primitives as p


def test_known_varint_bytes() -> None:
    assert p.uvarint(0) == b"\x00"
    assert p.uvarint(127) == b"\x7f"
    assert p.uvarint(128) == b"\x80\x01"
    assert p.uvarint(300) == b"\xac\x02"
    assert p.varint(-1) == b"\x01"
    assert p.varint(1) == b"\x02"
    assert p.varlong(-(2**63)) == b"\xff" * 9 + b"\x01"


@pytest.mark.parametrize(
    ("reader", "raw"),
    [
        (p.read_uvarint, b"\x80\x80"),
        (p.read_uvarint, b"\xff" * 11),
        (p.read_string, b"\x00\x05abc"),
        (p.read_string, b"\xff\xff"),
        (p.read_compact_string, b"\x00"),
        (p.read_compact_string, b"\x05ab"),
        (p.read_bytes, b"\x00\x00\x00\x09abc"),
        (p.read_bytes, b"\xff\xff\xff\xff"),
        (p.read_nullable_bytes, b"\x00\x00\x00\x09abc"),
        (p.read_compact_bytes, b"\x00"),
        (p.read_array_len, b"\xff\xff\xff\xfe"),
        (p.read_tagged_fields, b"\x01\x00\x05ab"),
        (p.skip_tagged_fields, b"\x01\x00\x05ab"),
        (p.skip_tagged_fields, b""),
        (p.read_tagged_fields, b""),
    ],
)
def test_malformed_raises(reader: object, raw: bytes) -> None:
    with pytest.raises(p.DecodeError):
        reader(memoryview(raw), 0)  # type: ignore[operator]


def test_nulls() -> None:
    assert p.read_nullable_string(memoryview(b"\xff\xff"), 0) == (None, 2)
    assert p.read_compact_nullable_string(memoryview(b"\x00"), 0) == (None, 1)
    assert p.read_nullable_bytes(memoryview(b"\xff\xff\xff\xff"), 0) == (None, 4)
    assert p.read_array_len(memoryview(b"\xff\xff\xff\xff"), 0) == (-1, 4)
    assert p.read_compact_array_len(memoryview(b"\x00"), 0) == (-1, 1)


def test_negative_uvarint_rejected() -> None:
    with pytest.raises(ValueError):
        p.uvarint(-1)
