"""The kio interface: class lookup, version ranges, decode/encode and error mapping."""

from __future__ import annotations

import datetime

import pytest
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.api_versions.v3.response import ApiVersion, ApiVersionsResponse
from kio.schema.errors import ErrorCode as KioErrorCode
from kio.static.primitive import i16, i32Timedelta

from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import kio_codec
from odradek.protocol.primitives import DecodeError


def test_classes_and_versions() -> None:
    assert kio_codec.request_class(18, 3) is ApiVersionsRequest
    assert kio_codec.response_class(18, 3) is ApiVersionsResponse
    assert kio_codec.supported_versions(18) == (0, 4)
    assert kio_codec.supported_versions(3)[0] == 0
    assert kio_codec.supported_versions(1)[0] <= 4 <= 16 <= kio_codec.supported_versions(1)[1]
    assert kio_codec.api_name(1) == "fetch"
    assert 0 in kio_codec.api_keys() and 18 in kio_codec.api_keys()


@pytest.mark.parametrize(("key", "version"), [(18, 99), (9999, 0), (1, -1)])
def test_unsupported(key: int, version: int) -> None:
    with pytest.raises(KafkaError) as info:
        kio_codec.request_class(key, version)
    assert info.value.code is ErrorCode.UNSUPPORTED_VERSION


def test_unknown_key_versions() -> None:
    with pytest.raises(KafkaError):
        kio_codec.supported_versions(9999)


def test_request_round_trip_at_offset() -> None:
    req = ApiVersionsRequest(client_software_name="odradek", client_software_version="0.1")
    raw = kio_codec.encode_request(req)
    assert raw == b"\x08odradek\x040.1\x00"
    assert kio_codec.decode_request(18, 3, memoryview(b"HDR" + raw), 3) == req


def test_response_encode() -> None:
    resp = ApiVersionsResponse(
        error_code=KioErrorCode.none,
        api_keys=(ApiVersion(api_key=i16(18), min_version=i16(0), max_version=i16(4)),),
        throttle_time=i32Timedelta.parse(datetime.timedelta(0)),
    )
    raw = kio_codec.encode_response(resp)
    assert raw[:2] == b"\x00\x00"  # error code
    assert kio_codec.decode_response(18, 3, raw) == resp


def test_malformed_body_raises_decode_error() -> None:
    with pytest.raises(DecodeError):
        kio_codec.decode_request(18, 3, b"\x08odr", 0)
