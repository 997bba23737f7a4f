"""A cursor over Kafka's schema primitives for the ``__consumer_offsets`` record layouts.

One :class:`Cursor` reads and one :class:`Out` writes a struct in either the classic or the
flexible (compact strings/bytes/arrays + tagged fields) encoding, so each record layout is written
once for both. Truncated or malformed input raises
:class:`odradek.protocol.primitives.DecodeError`.
"""

from __future__ import annotations

import struct
import uuid

from odradek.protocol import primitives as p


class Cursor:
    """Reads fields in order from ``buf``; ``flexible`` selects the compact encodings."""

    __slots__ = ("buf", "flexible", "off")

    def __init__(self, buf: bytes | memoryview, off: int = 0, flexible: bool = False) -> None:
        self.buf = memoryview(buf)
        self.off = off
        self.flexible = flexible

    def _fixed(self, s: struct.Struct) -> int:
        try:
            (v,) = s.unpack_from(self.buf, self.off)
        except struct.error as exc:
            raise p.DecodeError("truncated record") from exc
        self.off += s.size
        return int(v)

    def i8(self) -> int:
        return self._fixed(p.INT8)

    def i16(self) -> int:
        return self._fixed(p.INT16)

    def i32(self) -> int:
        return self._fixed(p.INT32)

    def i64(self) -> int:
        return self._fixed(p.INT64)

    def uuid(self) -> uuid.UUID:
        if self.off + 16 > len(self.buf):
            raise p.DecodeError("truncated uuid")
        v, self.off = p.read_uuid(self.buf, self.off)
        return v

    def string(self) -> str:
        v = self.nstring()
        if v is None:
            raise p.DecodeError("null in non-nullable string")
        return v

    def nstring(self) -> str | None:
        try:
            if self.flexible:
                v, self.off = p.read_compact_nullable_string(self.buf, self.off)
            else:
                v, self.off = p.read_nullable_string(self.buf, self.off)
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            raise p.DecodeError("malformed string") from exc
        return v

    def bytes_(self) -> bytes:
        try:
            if self.flexible:
                v, self.off = p.read_compact_nullable_bytes(self.buf, self.off)
            else:
                v, self.off = p.read_nullable_bytes(self.buf, self.off)
        except (struct.error, IndexError) as exc:
            raise p.DecodeError("malformed bytes") from exc
        return b"" if v is None else bytes(v)

    def array(self) -> int:
        """An array's element count (a null array counts as empty)."""
        try:
            if self.flexible:
                n, self.off = p.read_compact_array_len(self.buf, self.off)
            else:
                n, self.off = p.read_array_len(self.buf, self.off)
        except (struct.error, IndexError) as exc:
            raise p.DecodeError("malformed array") from exc
        if n > len(self.buf) - self.off:
            raise p.DecodeError("array longer than the record")
        return max(n, 0)

    def tags(self) -> None:
        if self.flexible:
            try:
                self.off = p.skip_tagged_fields(self.buf, self.off)
            except IndexError as exc:
                raise p.DecodeError("truncated tagged fields") from exc


class Out:
    """Appends fields to a ``bytearray`` in the classic or flexible encoding."""

    __slots__ = ("buf", "flexible")

    def __init__(self, version: int, flexible: bool = False) -> None:
        self.buf = bytearray(p.INT16.pack(version))
        self.flexible = flexible

    def i8(self, v: int) -> Out:
        self.buf += p.INT8.pack(v)
        return self

    def i16(self, v: int) -> Out:
        self.buf += p.INT16.pack(v)
        return self

    def i32(self, v: int) -> Out:
        self.buf += p.INT32.pack(v)
        return self

    def i64(self, v: int) -> Out:
        self.buf += p.INT64.pack(v)
        return self

    def uuid(self, v: uuid.UUID) -> Out:
        p.write_uuid(self.buf, v)
        return self

    def string(self, v: str | None) -> Out:
        p.write_string(self.buf, v, self.flexible)
        return self

    def bytes_(self, v: bytes | None) -> Out:
        p.write_bytes(self.buf, v, self.flexible)
        return self

    def array(self, n: int) -> Out:
        p.write_array_len(self.buf, n, self.flexible)
        return self

    def tags(self) -> Out:
        if self.flexible:
            self.buf.append(0)
        return self

    def done(self) -> bytes:
        return bytes(self.buf)
