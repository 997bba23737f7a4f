"""Request/response header codec against kio's header schemas, for every API and version."""

from __future__ import annotations

import pytest
from kio.schema.request_header.v1.header import RequestHeader as KioRequestHeaderV1
from kio.schema.request_header.v2.header import RequestHeader as KioRequestHeaderV2

from odradek.protocol import header, kio_codec
from odradek.protocol.primitives import DecodeError


def _all_versions() -> list[tuple[int, int]]:
    out = []
    for key in kio_codec.api_keys():
        low, high = kio_codec.supported_versions(key)
        out.extend((key, v) for v in range(low, high + 1))
    return out


ALL = _all_versions()


def _kio_header(key: int, version: int, cid: int, client_id: str | None) -> bytes:
    cls = kio_codec.request_class(key, version).__header_schema__
    entity = cls(
        request_api_key=key, request_api_version=version, correlation_id=cid, client_id=client_id
    )
    return kio_codec.encode_entity(entity)


@pytest.mark.parametrize(("key", "version"), ALL)
def test_request_header_matches_kio(key: int, version: int) -> None:
    raw = _kio_header(key, version, 123456, "client-é")
    body = b"\x01\x02\x03"
    hdr, off = header.decode_request_header(memoryview(raw + body))
    assert off == len(raw)
    assert hdr.api_key == key and hdr.api_version == version
    assert hdr.correlation_id == 123456 and hdr.client_id == "client-é"
    flexible = kio_codec.request_class(key, version).__flexible__
    assert hdr.header_version == (2 if flexible else 1)
    assert header.encode_request_header(key, version, 123456, "client-é") == raw


@pytest.mark.parametrize(("key", "version"), ALL)
def test_response_header_flexibility(key: int, version: int) -> None:
    resp = kio_codec.response_class(key, version)
    expected = resp.__header_schema__.__version__ == 1
    assert header.response_header_flexible(key, version) is expected
    if key == header.API_VERSIONS_KEY:
        assert expected is False
    enc = header.encode_response_header(-5, expected)
    assert enc == kio_codec.encode_entity(resp.__header_schema__(correlation_id=-5))
    assert header.decode_response_header(memoryview(enc + b"x"), expected) == (-5, len(enc))


def test_api_versions_request_header_versions() -> None:
    assert header.request_header_version(18, 0) == 1
    assert header.request_header_version(18, 2) == 1
    assert header.request_header_version(18, 3) == 2
    assert header.request_header_version(18, 4) == 2
    # a version newer than we know keeps the open-ended flexibility, so it can be parsed
    assert header.request_header_version(18, 99) == 2
    assert header.response_header_flexible(18, 3) is False
    assert header.response_header_flexible(18, 99) is False


def test_null_client_id_and_tagged_fields_skipped() -> None:
    raw = kio_codec.encode_entity(
        KioRequestHeaderV2(
            request_api_key=3, request_api_version=12, correlation_id=1, client_id=None
        )
    )
    # replace the empty tag section with one holding an unknown tag 5 of 3 bytes
    tagged = raw[:-1] + b"\x01\x05\x03abc"
    hdr, off = header.decode_request_header(memoryview(tagged + b"BODY"))
    assert hdr.client_id is None and hdr.header_version == 2
    assert off == len(tagged)


def test_header_v1_known_bytes() -> None:
    raw = kio_codec.encode_entity(
        KioRequestHeaderV1(
            request_api_key=0, request_api_version=7, correlation_id=9, client_id="rdkafka"
        )
    )
    assert raw == b"\x00\x00\x00\x07\x00\x00\x00\x09\x00\x07rdkafka"
    hdr, off = header.decode_request_header(memoryview(raw))
    assert (hdr.api_key, hdr.api_version, hdr.header_version, off) == (0, 7, 1, len(raw))


def test_header_v0_controlled_shutdown() -> None:
    raw = b"\x00\x07\x00\x00\x00\x00\x00\x2a" + b"body"
    hdr, off = header.decode_request_header(memoryview(raw))
    assert (hdr.api_key, hdr.header_version, hdr.correlation_id, hdr.client_id, off) == (
        7,
        0,
        42,
        None,
        8,
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x12\x00",
        b"\x00\x12\x00\x03\x00\x00\x00\x07",  # v2 header missing client id
        b"\x00\x12\x00\x03\x00\x00\x00\x07\x00\x05ab",  # client id truncated
        b"\x00\x12\x00\x03\x00\x00\x00\x07\x00\x01x",  # missing tag section
        b"\x00\x12\x00\x03\x00\x00\x00\x07\x00\x01x\x01\x05\x09ab",  # tag value truncated
        b"\x00\x03\x00\x01\x00\x00\x00\x07\x00\x02\xff\xfe",  # invalid utf-8
    ],
)
def test_malformed_headers_raise_decode_error(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        header.decode_request_header(memoryview(raw))
