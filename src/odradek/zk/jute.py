"""Jute, ZooKeeper's binary encoding: big-endian ints/longs, length-prefixed buffers and strings.

A ``buffer`` or ``vector`` with length ``-1`` is null. Znode data keeps the difference between
null and empty (clients read back what they wrote): :meth:`Reader.data` returns the
:data:`NULL_DATA` singleton, an empty ``bytes``, for a null buffer and ``Writer.buffer`` writes it
back as ``-1``. Decoding never trusts a length: a buffer or
vector that would run past the end raises :class:`JuteError` (a marshalling error on the wire).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

Int = int
Bool = bool

_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_INT_LONG_INT = struct.Struct(">iqi")


class JuteError(ValueError):
    """Bytes that do not decode as the expected jute record."""


class NullData(bytes):
    """Type of :data:`NULL_DATA`: empty bytes that stand for a null buffer."""

    __slots__ = ()


NULL_DATA = NullData()


class Reader:
    """Sequential decoder over a bytes-like object."""

    __slots__ = ("buf", "end", "pos")

    def __init__(self, buf: bytes | memoryview, pos: Int = 0) -> None:
        self.buf = buf
        self.pos = pos
        self.end = len(buf)

    def remaining(self) -> Int:
        return self.end - self.pos

    def int(self) -> Int:
        pos = self.pos
        if pos + 4 > self.end:
            raise JuteError("truncated int")
        self.pos = pos + 4
        value: Int = _INT.unpack_from(self.buf, pos)[0]
        return value

    def long(self) -> Int:
        pos = self.pos
        if pos + 8 > self.end:
            raise JuteError("truncated long")
        self.pos = pos + 8
        value: Int = _LONG.unpack_from(self.buf, pos)[0]
        return value

    def bool(self) -> Bool:
        pos = self.pos
        if pos + 1 > self.end:
            raise JuteError("truncated bool")
        self.pos = pos + 1
        return self.buf[pos] != 0

    def buffer(self) -> bytes | None:
        n = self.int()
        if n < 0:
            return None
        pos = self.pos
        if pos + n > self.end:
            raise JuteError("buffer runs past the end")
        self.pos = pos + n
        return bytes(self.buf[pos : pos + n])

    def data(self) -> bytes:
        """A buffer where null reads as :data:`NULL_DATA` (znode data)."""
        value = self.buffer()
        return NULL_DATA if value is None else value

    def ustring(self) -> str:
        raw = self.buffer()
        if raw is None:
            return ""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JuteError("string is not utf-8") from exc

    def vector(self, item: Callable[[Reader], T]) -> list[T] | None:
        n = self.int()
        if n < 0:
            return None
        if n > self.remaining():
            raise JuteError("vector longer than the frame")
        return [item(self) for _ in range(n)]

    def strings(self) -> list[str]:
        return self.vector(Reader.ustring) or []


class Writer:
    """Encoder appending to a bytearray."""

    __slots__ = ("out",)

    def __init__(self) -> None:
        self.out = bytearray()

    def int(self, v: Int) -> Writer:
        self.out += _INT.pack(v)
        return self

    def long(self, v: Int) -> Writer:
        self.out += _LONG.pack(v)
        return self

    def bool(self, v: Bool) -> Writer:
        self.out += b"\x01" if v else b"\x00"
        return self

    def buffer(self, v: bytes | None) -> Writer:
        if v is None or v is NULL_DATA:
            self.out += b"\xff\xff\xff\xff"
        else:
            self.out += _INT.pack(len(v))
            self.out += v
        return self

    def ustring(self, v: str | None) -> Writer:
        return self.buffer(None if v is None else v.encode("utf-8"))

    def strings(self, items: Sequence[str] | None) -> Writer:
        if items is None:
            return self.int(-1)
        self.int(len(items))
        for s in items:
            self.ustring(s)
        return self

    def raw(self, b: bytes) -> Writer:
        self.out += b
        return self

    def header(self, a: Int, b: Int, c: Int) -> Writer:
        """int, long, int in one go (the reply header layout)."""
        self.out += _INT_LONG_INT.pack(a, b, c)
        return self

    def getvalue(self) -> bytes:
        return bytes(self.out)
