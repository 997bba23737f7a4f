"""Request and response headers of the Kafka protocol.

Frame body layout (the 4-byte size prefix is stripped by ``net/``)::

    request header v0: api_key int16, api_version int16, correlation_id int32
    request header v1: v0 + client_id NULLABLE_STRING (int16 length, even in flexible versions)
    request header v2: v1 + tagged fields (flexible request versions)
    response header v0: correlation_id int32
    response header v1: v0 + tagged fields (flexible response versions)

The header version follows the flexibility of the message version, taken from kio's schema
(``__header_schema__``), with Kafka's exceptions: ApiVersions responses always use header v0
(a client that does not know the broker's versions must be able to read the error), and
ControlledShutdown v0 requests use request header v0. Versions newer than kio knows keep the
flexibility of the newest known version (Kafka's ``flexibleVersions: "N+"`` is open-ended), so a
newer client's ApiVersions request is still parsed and answered with UNSUPPORTED_VERSION.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass

from odradek.common.errors import KafkaError
from odradek.protocol import kio_codec
from odradek.protocol.primitives import (
    INT16,
    INT32,
    DecodeError,
    read_nullable_string,
    skip_tagged_fields,
)

API_VERSIONS_KEY = 18
CONTROLLED_SHUTDOWN_KEY = 7

_HEADER_V0 = struct.Struct(">hhi")


@dataclass(frozen=True, slots=True)
class RequestHeader:
    """A decoded request header."""

    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None
    header_version: int


def _clamp(api_key: int, api_version: int) -> int:
    low, high = kio_codec.supported_versions(api_key)
    return min(max(api_version, low), high)


@functools.cache
def request_header_version(api_key: int, api_version: int) -> int:
    """Request header version (0, 1 or 2) used by this API version; 1 for unknown API keys."""
    if api_key == CONTROLLED_SHUTDOWN_KEY and api_version == 0:
        return 0
    try:
        cls = kio_codec.request_class(api_key, _clamp(api_key, api_version))
    except KafkaError:
        return 1
    return int(cls.__header_schema__.__version__)


@functools.cache
def response_header_flexible(api_key: int, api_version: int) -> bool:
    """Whether the response header has a tagged-field section (response header v1)."""
    if api_key == API_VERSIONS_KEY:
        return False
    try:
        cls = kio_codec.response_class(api_key, _clamp(api_key, api_version))
    except KafkaError:
        return False
    return int(cls.__header_schema__.__version__) >= 1


def decode_request_header(buf: memoryview) -> tuple[RequestHeader, int]:
    """Decode the request header at the start of a frame body; returns (header, body_offset)."""
    try:
        api_key, api_version, correlation_id = _HEADER_V0.unpack_from(buf, 0)
        version = request_header_version(api_key, api_version)
        client_id: str | None = None
        off = 8
        if version >= 1:
            client_id, off = read_nullable_string(buf, off)
            if version >= 2:
                off = skip_tagged_fields(buf, off)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise DecodeError(f"malformed request header: {exc}") from None
    return RequestHeader(api_key, api_version, correlation_id, client_id, version), off


def encode_request_header(
    api_key: int, api_version: int, correlation_id: int, client_id: str | None
) -> bytes:
    """Request header bytes for an outbound request (broker-to-broker traffic)."""
    version = request_header_version(api_key, api_version)
    out = bytearray(_HEADER_V0.pack(api_key, api_version, correlation_id))
    if version >= 1:
        if client_id is None:
            out += b"\xff\xff"
        else:
            data = client_id.encode()
            out += INT16.pack(len(data))
            out += data
        if version >= 2:
            out.append(0)
    return bytes(out)


_FLEX_SUFFIX = b"\x00"


def encode_response_header(correlation_id: int, flexible: bool) -> bytes:
    """Response header bytes: v1 (with an empty tag section) when ``flexible``, else v0."""
    if flexible:
        return INT32.pack(correlation_id) + _FLEX_SUFFIX
    return INT32.pack(correlation_id)


def decode_response_header(buf: memoryview, flexible: bool) -> tuple[int, int]:
    """Decode a response header; returns (correlation_id, body_offset)."""
    try:
        correlation_id = INT32.unpack_from(buf, 0)[0]
        off = skip_tagged_fields(buf, 4) if flexible else 4
    except (struct.error, IndexError) as exc:
        raise DecodeError(f"malformed response header: {exc}") from None
    return correlation_id, off
