"""Console formats: parse producer input lines, render consumed records as text or JSON.

Line input follows kafka-console-producer's documented reader properties (``parse.key``,
``key.separator``, ``parse.headers``, ``headers.delimiter``, ``headers.separator``,
``headers.key.separator``, ``null.marker``, ``ignore.error``); text output follows
kafka-console-consumer's default formatter (``print.timestamp``, ``print.partition``,
``print.offset``, ``print.headers``, ``print.key``, ``print.value``, ``key.separator``,
``line.separator``, ``headers.separator``, ``null.literal``). Everything stays bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from odradek.client.config import ClientError
from odradek.common.config import parse_bool

Headers = list[tuple[str, bytes | None]]

TIMESTAMP_TYPES = {0: "NO_TIMESTAMP_TYPE", 1: "CreateTime", 2: "LogAppendTime"}


def _flag(props: Mapping[str, str], name: str, default: bool) -> bool:
    raw = props.get(name)
    if raw is None:
        return default
    try:
        return parse_bool(raw)
    except ValueError as exc:
        raise ClientError(f"Invalid value {raw!r} for property {name}") from exc


@dataclass(frozen=True, slots=True)
class LineReader:
    """Splits one input line (without its newline) into headers, key and value."""

    parse_key: bool = False
    parse_headers: bool = False
    ignore_error: bool = False
    key_separator: bytes = b"\t"
    headers_delimiter: bytes = b"\t"
    headers_separator: bytes = b","
    headers_key_separator: bytes = b":"
    null_marker: bytes | None = None

    @classmethod
    def from_properties(cls, props: Mapping[str, str]) -> LineReader:
        marker = props.get("null.marker")
        return cls(
            parse_key=_flag(props, "parse.key", False),
            parse_headers=_flag(props, "parse.headers", False),
            ignore_error=_flag(props, "ignore.error", False),
            key_separator=props.get("key.separator", "\t").encode(),
            headers_delimiter=props.get("headers.delimiter", "\t").encode(),
            headers_separator=props.get("headers.separator", ",").encode(),
            headers_key_separator=props.get("headers.key.separator", ":").encode(),
            null_marker=None if marker is None else marker.encode(),
        )

    def parse(self, line: bytes, number: int) -> tuple[bytes | None, bytes | None, Headers]:
        """``(key, value, headers)``; raises ClientError as Kafka's reader does on bad lines."""
        start = 0
        headers: Headers = []
        block = self._field(
            self.parse_headers, line, 0, self.headers_delimiter, number, "headers delimiter"
        )
        if block is not None:
            headers = self._split_headers(block)
            start = len(block) + len(self.headers_delimiter)
        key = self._field(self.parse_key, line, start, self.key_separator, number, "key separator")
        if key is not None:
            start += len(key) + len(self.key_separator)
        return self._nullable(key), self._nullable(line[start:]), headers

    def _field(
        self, enabled: bool, line: bytes, start: int, sep: bytes, number: int, what: str
    ) -> bytes | None:
        if not enabled:
            return None
        index = line.find(sep, start)
        if index < 0:
            if self.ignore_error:
                return None
            text = line.decode(errors="replace")
            raise ClientError(f"No {what} found on line number {number}: '{text}'")
        return line[start:index]

    def _split_headers(self, block: bytes) -> Headers:
        headers: Headers = []
        for item in block.split(self.headers_separator):
            if not item:
                continue
            name, sep, value = item.partition(self.headers_key_separator)
            if self.null_marker is not None and name == self.null_marker:
                marker = self.null_marker.decode(errors="replace")
                raise ClientError(
                    f"Header keys should not be equal to the null marker '{marker}' "
                    "as they can't be null"
                )
            headers.append((name.decode(errors="replace"), self._nullable(value) if sep else None))
        return headers

    def _nullable(self, field: bytes | None) -> bytes | None:
        if field is None or (self.null_marker is not None and field == self.null_marker):
            return None
        return field


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """What a console consumer prints about one record."""

    topic: str
    partition: int
    offset: int
    timestamp_type: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]]


@dataclass(frozen=True, slots=True)
class TextFormatter:
    """kafka-console-consumer's default message formatter."""

    print_timestamp: bool = False
    print_partition: bool = False
    print_offset: bool = False
    print_headers: bool = False
    print_key: bool = False
    print_value: bool = True
    key_separator: bytes = b"\t"
    line_separator: bytes = b"\n"
    headers_separator: bytes = b","
    null_literal: bytes = b"null"

    @classmethod
    def from_properties(cls, props: Mapping[str, str]) -> TextFormatter:
        return cls(
            print_timestamp=_flag(props, "print.timestamp", False),
            print_partition=_flag(props, "print.partition", False),
            print_offset=_flag(props, "print.offset", False),
            print_headers=_flag(props, "print.headers", False),
            print_key=_flag(props, "print.key", False),
            print_value=_flag(props, "print.value", True),
            key_separator=props.get("key.separator", "\t").encode(),
            line_separator=props.get("line.separator", "\n").encode(),
            headers_separator=props.get("headers.separator", ",").encode(),
            null_literal=props.get("null.literal", "null").encode(),
        )

    def format(self, rec: ConsumedRecord) -> bytes:
        fields: list[bytes] = []
        if self.print_timestamp:
            kind = TIMESTAMP_TYPES.get(rec.timestamp_type, "NO_TIMESTAMP_TYPE")
            fields.append(
                b"NO_TIMESTAMP" if rec.timestamp_type == 0 else f"{kind}:{rec.timestamp}".encode()
            )
        if self.print_partition:
            fields.append(f"Partition:{rec.partition}".encode())
        if self.print_offset:
            fields.append(f"Offset:{rec.offset}".encode())
        if self.print_headers:
            fields.append(self._headers(rec.headers))
        if self.print_key:
            fields.append(self._bytes(rec.key))
        if self.print_value:
            fields.append(self._bytes(rec.value))
        return self.key_separator.join(fields) + self.line_separator

    def _headers(self, headers: Sequence[tuple[str, bytes | None]]) -> bytes:
        if not headers:
            return b"NO_HEADERS"
        items = [name.encode() + b":" + self._bytes(value) for name, value in headers]
        return self.headers_separator.join(items)

    def _bytes(self, data: bytes | None) -> bytes:
        return self.null_literal if data is None else data


def _json_bytes(data: bytes | None, name: str, out: dict[str, object]) -> None:
    if data is None:
        out[name] = None
        return
    try:
        out[name] = data.decode("utf-8")
    except UnicodeDecodeError:
        out[name] = base64.b64encode(data).decode("ascii")
        out[f"{name}Encoding"] = "base64"


def record_json(rec: ConsumedRecord) -> str:
    """One JSON object per record; non-UTF-8 keys/values are base64 with an ``*Encoding`` field."""
    out: dict[str, object] = {
        "topic": rec.topic,
        "partition": rec.partition,
        "offset": rec.offset,
        "timestampType": TIMESTAMP_TYPES.get(rec.timestamp_type, "NO_TIMESTAMP_TYPE"),
        "timestamp": rec.timestamp,
    }
    _json_bytes(rec.key, "key", out)
    _json_bytes(rec.value, "value", out)
    headers: list[dict[str, object]] = []
    for name, value in rec.headers:
        item: dict[str, object] = {"key": name}
        _json_bytes(value, "value", item)
        headers.append(item)
    out["headers"] = headers
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))
