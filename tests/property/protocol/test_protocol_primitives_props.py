"""Primitive codecs: round trips and byte equality with kio's writers and readers."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from kio.serial import readers as kr
from kio.serial import writers as kw

from odradek.protocol import primitives as p

SETTINGS = settings(max_examples=150, deadline=None)

i32 = st.integers(-(2**31), 2**31 - 1)
i64 = st.integers(-(2**63), 2**63 - 1)
u32 = st.integers(0, 2**32 - 1)
texts = st.text(max_size=40)
opt_texts = st.none() | texts
blobs = st.binary(max_size=64)


def kio_bytes(writer: Callable[[Any, Any], None], value: Any) -> bytes:
    buf = io.BytesIO()
    writer(buf, value)
    return buf.getvalue()


def ours(writer: Callable[..., None], value: Any, *args: Any) -> bytes:
    out = bytearray()
    writer(out, value, *args)
    return bytes(out)


@SETTINGS
@given(u32)
def test_uvarint(value: int) -> None:
    enc = p.uvarint(value)
    assert enc == kio_bytes(kw.write_unsigned_varint, value)
    assert p.read_uvarint(memoryview(b"!" + enc + b"x"), 1) == (value, 1 + len(enc))


@SETTINGS
@given(i32)
def test_varint(value: int) -> None:
    enc = p.varint(value)
    assert enc == kio_bytes(kw.write_signed_varint, value)
    assert p.read_varint(memoryview(enc), 0) == (value, len(enc))
    assert kr.read_signed_varint(enc, 0)[0] == value


@SETTINGS
@given(i64)
def test_varlong(value: int) -> None:
    enc = p.varlong(value)
    assert enc == kio_bytes(kw.write_signed_varlong, value)
    assert p.read_varlong(memoryview(enc), 0) == (value, len(enc))


@SETTINGS
@given(st.integers(-128, 127), st.integers(-(2**15), 2**15 - 1), i32, i64, st.booleans())
def test_fixed_width(a: int, b: int, c: int, d: int, e: bool) -> None:
    out = bytearray()
    p.write_int8(out, a)
    p.write_int16(out, b)
    p.write_int32(out, c)
    p.write_int64(out, d)
    p.write_bool(out, e)
    expected = b"".join(
        [
            kio_bytes(kw.write_int8, a),
            kio_bytes(kw.write_int16, b),
            kio_bytes(kw.write_int32, c),
            kio_bytes(kw.write_int64, d),
            kio_bytes(kw.write_boolean, e),
        ]
    )
    assert bytes(out) == expected
    buf = memoryview(expected)
    v1, off = p.read_int8(buf, 0)
    v2, off = p.read_int16(buf, off)
    v3, off = p.read_int32(buf, off)
    v4, off = p.read_int64(buf, off)
    v5, off = p.read_bool(buf, off)
    assert (v1, v2, v3, v4, v5, off) == (a, b, c, d, e, len(expected))


@SETTINGS
@given(opt_texts)
def test_strings(value: str | None) -> None:
    legacy = ours(p.write_string, value)
    compact = ours(p.write_string, value, True)
    assert legacy == kio_bytes(kw.write_nullable_legacy_string, value)
    assert compact == kio_bytes(kw.write_nullable_compact_string, value)
    assert p.read_nullable_string(memoryview(legacy), 0) == (value, len(legacy))
    assert p.read_compact_nullable_string(memoryview(compact), 0) == (value, len(compact))
    if value is not None:
        assert legacy == kio_bytes(kw.write_legacy_string, value)
        assert p.read_string(memoryview(legacy), 0) == (value, len(legacy))
        assert p.read_compact_string(memoryview(compact), 0) == (value, len(compact))


@SETTINGS
@given(st.none() | blobs)
def test_bytes(value: bytes | None) -> None:
    legacy = ours(p.write_bytes, value)
    compact = ours(p.write_bytes, value, True)
    assert legacy == kio_bytes(kw.write_nullable_legacy_bytes, value)
    assert compact == kio_bytes(kw.write_nullable_compact_string, value)
    got, off = p.read_nullable_bytes(memoryview(legacy), 0)
    assert (None if got is None else bytes(got), off) == (value, len(legacy))
    got, off = p.read_compact_nullable_bytes(memoryview(compact), 0)
    assert (None if got is None else bytes(got), off) == (value, len(compact))
    if value is not None:
        view = memoryview(legacy)
        got2, _ = p.read_bytes(view, 0)
        assert got2.obj is view.obj  # a slice, not a copy
        assert bytes(p.read_compact_bytes(memoryview(compact), 0)[0]) == value


@SETTINGS
@given(st.integers(-1, 10_000))
def test_array_lengths(count: int) -> None:
    legacy = ours(p.write_array_len, count)
    compact = ours(p.write_array_len, count, True)
    assert legacy == kio_bytes(kw.write_legacy_array_length, count)
    assert compact == kio_bytes(kw.write_compact_array_length, None if count < 0 else count)
    assert p.read_array_len(memoryview(legacy), 0) == (count, 4)
    assert p.read_compact_array_len(memoryview(compact), 0) == (count, len(compact))


@SETTINGS
@given(st.uuids() | st.none())
def test_uuid(value: uuid.UUID | None) -> None:
    enc = ours(p.write_uuid, value)
    assert enc == kio_bytes(kw.write_uuid, value)
    assert p.read_uuid(memoryview(enc), 0) == (value or p.ZERO_UUID, 16)


@SETTINGS
@given(st.dictionaries(st.integers(0, 300), blobs, max_size=5))
def test_tagged_fields(tags: dict[int, bytes]) -> None:
    enc = ours(p.write_tagged_fields, tags)
    buf = memoryview(enc + b"tail")
    decoded, off = p.read_tagged_fields(buf, 0)
    assert off == len(enc)
    assert {k: bytes(v) for k, v in decoded.items()} == tags
    assert list(decoded) == sorted(tags)
    assert p.skip_tagged_fields(buf, 0) == len(enc)


@SETTINGS
@given(st.binary(max_size=12))
def test_garbage_never_escapes_as_other_errors(raw: bytes) -> None:
    buf = memoryview(raw)
    for reader in (
        p.read_compact_string,
        p.read_compact_nullable_bytes,
        p.read_tagged_fields,
        p.read_uvarint,
    ):
        with contextlib.suppress(p.DecodeError, UnicodeDecodeError):
            reader(buf, 0)
