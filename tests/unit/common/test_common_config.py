"""Kafka property parsing: files, defaults, broker → topic mapping, validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from odradek.common.config import (
    BrokerConfig,
    LogConfig,
    load_properties,
    validate_topic_configs,
)
from odradek.common.errors import ErrorCode, KafkaError


def test_properties_file(tmp_path: Path) -> None:
    f = tmp_path / "server.properties"
    f.write_text(
        "# comment\nbroker.id=3\nlog.dirs = /a,/b\nlisteners: PLAINTEXT://h:1\n"
        "long.value=a\\\n  b\n! other comment\n"
    )
    props = load_properties(f)
    assert props == {
        "broker.id": "3",
        "log.dirs": "/a,/b",
        "listeners": "PLAINTEXT://h:1",
        "long.value": "ab",
    }
    cfg = BrokerConfig(props)
    assert cfg.broker_id == 3
    assert cfg.get("log.dirs") == ["/a", "/b"]


def test_retention_precedence_ms_minutes_hours() -> None:
    assert BrokerConfig({}).retention_ms() == 168 * 3_600_000
    assert BrokerConfig({"log.retention.hours": "2"}).retention_ms() == 7_200_000
    assert (
        BrokerConfig({"log.retention.hours": "2", "log.retention.minutes": "3"}).retention_ms()
        == 180_000
    )
    assert BrokerConfig({"log.retention.minutes": "3", "log.retention.ms": "5"}).retention_ms() == 5


def test_broker_defaults_become_topic_defaults() -> None:
    cfg = BrokerConfig(
        {"log.segment.bytes": "1024", "message.max.bytes": "2048", "log.cleanup.policy": "compact"}
    )
    lc = LogConfig.from_props(cfg.topic_defaults())
    assert (lc.segment_bytes, lc.max_message_bytes, lc.cleanup_policy) == (1024, 2048, ("compact",))


def test_invalid_values_raise_invalid_config() -> None:
    with pytest.raises(KafkaError) as err:
        BrokerConfig({"num.partitions": "many"})
    assert err.value.code == ErrorCode.INVALID_CONFIG
    with pytest.raises(KafkaError):
        validate_topic_configs([("cleanup.policy", "shred")])
    with pytest.raises(KafkaError):
        validate_topic_configs([("no.such.config", "1")])
    with pytest.raises(KafkaError):
        validate_topic_configs([("segment.bytes", "1")])  # below Kafka's minimum of 14
    validate_topic_configs([("cleanup.policy", "compact,delete"), ("retention.ms", "-1")])
