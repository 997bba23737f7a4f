"""Console line parsing and record formatting (kafka-console-producer/consumer formats)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odradek.client.config import ClientError, client_config, parse_pairs, split_pairs
from odradek.client.serde import ConsumedRecord, LineReader, TextFormatter, record_json


def test_plain_lines_are_values() -> None:
    assert LineReader().parse(b"hello\tworld", 1) == (None, b"hello\tworld", [])


def test_key_and_custom_separator() -> None:
    reader = LineReader.from_properties({"parse.key": "true", "key.separator": ":"})
    assert reader.parse(b"k:v:w", 1) == (b"k", b"v:w", [])


def test_headers_key_value() -> None:
    reader = LineReader.from_properties({"parse.key": "true", "parse.headers": "true"})
    key, value, headers = reader.parse(b"h1:v1,h2:v2,h3\tkey\tvalue", 1)
    assert (key, value) == (b"key", b"value")
    assert headers == [("h1", b"v1"), ("h2", b"v2"), ("h3", None)]


def test_headers_without_key() -> None:
    reader = LineReader.from_properties({"parse.headers": "true", "headers.delimiter": "|"})
    assert reader.parse(b"a:1|payload", 1) == (None, b"payload", [("a", b"1")])


def test_missing_separator_is_an_error_naming_the_line() -> None:
    reader = LineReader.from_properties({"parse.key": "true"})
    with pytest.raises(ClientError, match="No key separator found on line number 7: 'abc'"):
        reader.parse(b"abc", 7)
    with pytest.raises(ClientError, match="No headers delimiter"):
        LineReader(parse_headers=True).parse(b"abc", 1)


def test_ignore_error_keeps_whole_line_as_value() -> None:
    reader = LineReader.from_properties({"parse.key": "true", "ignore.error": "true"})
    assert reader.parse(b"abc", 1) == (None, b"abc", [])


def test_null_marker() -> None:
    reader = LineReader.from_properties(
        {"parse.key": "true", "parse.headers": "true", "null.marker": "NULL"}
    )
    assert reader.parse(b"h:NULL\tNULL\tNULL", 1) == (None, None, [("h", None)])
    with pytest.raises(ClientError, match="null marker"):
        reader.parse(b"NULL:x\tk\tv", 1)


def test_bad_boolean_property() -> None:
    with pytest.raises(ClientError, match=r"parse\.key"):
        LineReader.from_properties({"parse.key": "maybe"})


REC = ConsumedRecord("t", 2, 41, 1, 1700000000000, b"k", b"v", [("h1", b"x"), ("h2", None)])


def test_default_formatter_prints_value_only() -> None:
    assert TextFormatter().format(REC) == b"v\n"


def test_formatter_all_fields_in_kafka_order() -> None:
    props = {
        "print.timestamp": "true",
        "print.partition": "true",
        "print.offset": "true",
        "print.headers": "true",
        "print.key": "true",
        "key.separator": "|",
    }
    line = TextFormatter.from_properties(props).format(REC)
    assert line == b"CreateTime:1700000000000|Partition:2|Offset:41|h1:x,h2:null|k|v\n"


def test_formatter_nulls_and_no_headers() -> None:
    rec = ConsumedRecord("t", 0, 0, 0, -1, None, None, [])
    fmt = TextFormatter.from_properties(
        {
            "print.key": "true",
            "print.headers": "true",
            "print.timestamp": "true",
            "null.literal": "<nil>",
        }
    )
    assert fmt.format(rec) == b"NO_TIMESTAMP\tNO_HEADERS\t<nil>\t<nil>\n"


def test_json_output_round_trips_and_flags_binary() -> None:
    rec = ConsumedRecord("t", 0, 5, 2, 9, None, b"\xff\xfe", [("h", b"ok")])
    obj = json.loads(record_json(rec))
    assert obj["timestampType"] == "LogAppendTime"
    assert obj["key"] is None
    assert obj["value"] == "//4=" and obj["valueEncoding"] == "base64"
    assert obj["headers"] == [{"key": "h", "value": "ok"}]
    assert json.loads(record_json(REC))["value"] == "v"


def test_pairs_and_bracket_lists() -> None:
    assert split_pairs("a=1,b=[x,y],c=2") == ["a=1", "b=[x,y]", "c=2"]
    assert parse_pairs(["a=1,b=2"], split_commas=True) == {"a": "1", "b": "2"}
    assert parse_pairs(["x=a=b"]) == {"x": "a=b"}
    with pytest.raises(ClientError):
        parse_pairs(["novalue"])


def test_client_config_merges_file_then_overrides(tmp_path: Path) -> None:
    f = tmp_path / "client.properties"
    f.write_text("client.id=from-file\nsecurity.protocol=PLAINTEXT\nbootstrap.servers=x:1\n")
    conf = client_config("h:9", str(f), {"client.id": "override"})
    assert conf == {
        "client.id": "override",
        "security.protocol": "PLAINTEXT",
        "bootstrap.servers": "h:9",
    }
    assert client_config(None, str(f))["bootstrap.servers"] == "x:1"
    with pytest.raises(ClientError, match="bootstrap"):
        client_config(None)
    with pytest.raises(ClientError, match="not found"):
        client_config("h:9", str(tmp_path / "missing"))


_text = st.text(
    alphabet=st.characters(blacklist_characters="\t\n,:", blacklist_categories=("Cs",)),
    max_size=12,
)


@given(
    key=_text,
    value=_text,
    headers=st.lists(st.tuples(_text.filter(bool), _text), min_size=1, max_size=4),
)
def test_consumer_output_is_producer_input(
    key: str, value: str, headers: list[tuple[str, str]]
) -> None:
    """print.headers+print.key output parses back with parse.headers+parse.key.

    (Records without headers print NO_HEADERS, which, as in Kafka, does not read back.)
    """
    hdrs = [(k, v.encode()) for k, v in headers]
    rec = ConsumedRecord("t", 0, 0, 1, 0, key.encode(), value.encode(), hdrs)
    line = TextFormatter(print_headers=True, print_key=True).format(rec)
    reader = LineReader(parse_key=True, parse_headers=True)
    got_key, got_value, got_headers = reader.parse(line.rstrip(b"\n"), 1)
    assert (got_key, got_value) == (key.encode(), value.encode())
    assert got_headers == hdrs
