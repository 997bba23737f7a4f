"""Thin interface over the ``kio`` schema package for control-plane messages.

kio provides one frozen dataclass per (API, version, request|response) generated from Kafka's
message JSON, plus native readers and writers. This module maps ``(api_key, version)`` to
those classes, caches readers/writers per class and converts kio's errors into
:class:`~odradek.protocol.primitives.DecodeError` or ``KafkaError(UNSUPPORTED_VERSION)``.

Nothing outside ``protocol/`` should import kio directly for encoding or decoding; hot paths
(Produce, Fetch, Metadata) have hand-written codecs next to this module.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any, cast

from kio.index import UnknownAPIKey, UnknownEntity, load_request_schema, load_response_schema
from kio.schema.index import api_key_map, schema_name_map
from kio.serial import entity_reader, entity_writer

from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol.primitives import DecodeError

Entity = Any  # a kio payload dataclass instance (kio's own protocol types are not exported)
_Reader = Callable[[memoryview, int], tuple[Any, int]]
_Writer = Callable[[io.BytesIO, Any], None]


def _unsupported(api_key: int, version: int) -> KafkaError:
    return KafkaError(ErrorCode.UNSUPPORTED_VERSION, f"api_key={api_key} version={version}")


@functools.cache
def request_class(api_key: int, version: int) -> type[Any]:
    """kio request class; ``KafkaError(UNSUPPORTED_VERSION)`` if kio does not know it."""
    try:
        return cast(type[Any], load_request_schema(api_key, version))
    except (UnknownAPIKey, UnknownEntity):
        raise _unsupported(api_key, version) from None


@functools.cache
def response_class(api_key: int, version: int) -> type[Any]:
    """kio response class; ``KafkaError(UNSUPPORTED_VERSION)`` if kio does not know it."""
    try:
        return cast(type[Any], load_response_schema(api_key, version))
    except (UnknownAPIKey, UnknownEntity):
        raise _unsupported(api_key, version) from None


@functools.cache
def supported_versions(api_key: int) -> tuple[int, int]:
    """(min, max) versions kio has schemas for; UNSUPPORTED_VERSION for unknown API keys."""
    name = api_key_map.get(api_key)
    if name is None:
        raise _unsupported(api_key, -1)
    versions = schema_name_map[name].keys()
    return min(versions), max(versions)


def api_keys() -> list[int]:
    """Every API key kio knows."""
    return sorted(api_key_map)


def api_name(api_key: int) -> str:
    """kio's snake_case API name (``"fetch"``); ``"unknown"`` for unknown keys."""
    return api_key_map.get(api_key, "unknown")


_READERS: dict[type[Any], _Reader] = {}
_WRITERS: dict[type[Any], _Writer] = {}


def _reader(cls: type[Any]) -> _Reader:
    reader = _READERS.get(cls)
    if reader is None:
        reader = _READERS[cls] = cast(_Reader, entity_reader(cls))
    return reader


def _writer(cls: type[Any]) -> _Writer:
    writer = _WRITERS.get(cls)
    if writer is None:
        writer = _WRITERS[cls] = cast(_Writer, entity_writer(cls))
    return writer


def decode_entity(cls: type[Any], buf: memoryview | bytes, offset: int = 0) -> tuple[Any, int]:
    """Decode one kio entity of ``cls`` at ``offset``; returns (entity, next_offset)."""
    try:
        entity, size = _reader(cls)(memoryview(buf), offset)
    except DecodeError:
        raise
    except Exception as exc:  # kio raises assorted errors on malformed input
        raise DecodeError(f"cannot decode {cls.__name__}: {exc}") from exc
    return entity, offset + size


def decode_request(api_key: int, version: int, buf: memoryview | bytes, offset: int = 0) -> Any:
    """Decode a request body (after the header) with kio."""
    return decode_entity(request_class(api_key, version), buf, offset)[0]


def decode_response(api_key: int, version: int, buf: memoryview | bytes, offset: int = 0) -> Any:
    """Decode a response body (after the header) with kio (outbound broker connections)."""
    return decode_entity(response_class(api_key, version), buf, offset)[0]


def encode_entity(entity: Any) -> bytes:
    """Encode any kio entity (request or response payload) to bytes, without header."""
    buffer = io.BytesIO()
    _writer(type(entity))(buffer, entity)
    return buffer.getvalue()


encode_response = encode_entity
encode_request = encode_entity
