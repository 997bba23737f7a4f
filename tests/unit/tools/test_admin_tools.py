"""Output formats and argument handling of ``odradek topics`` / ``odradek configs`` (no broker)."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigSource

from odradek.client.admin import error_message
from odradek.client.config import ClientError
from odradek.tools import configs, topics


def _node(i: int) -> SimpleNamespace:
    return SimpleNamespace(id=i)


def _desc() -> SimpleNamespace:
    parts = [
        SimpleNamespace(id=1, leader=None, replicas=[_node(2), _node(1)], isr=[_node(2)]),
        SimpleNamespace(
            id=0, leader=_node(1), replicas=[_node(1), _node(2)], isr=[_node(1), _node(2)]
        ),
    ]
    return SimpleNamespace(name="orders", topic_id="AAAAAAAAAAAAAAAAAAAAAA", partitions=parts)


def _args(**kw: bool) -> argparse.Namespace:
    base = {"under_replicated_partitions": False, "unavailable_partitions": False}
    return argparse.Namespace(**{**base, **kw})


def test_describe_lines_kafka_format() -> None:
    lines = topics.describe_lines(_desc(), "retention.ms=1000", _args())
    assert lines == [
        "Topic: orders\tTopicId: AAAAAAAAAAAAAAAAAAAAAA\tPartitionCount: 2\t"
        "ReplicationFactor: 2\tConfigs: retention.ms=1000",
        "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2",
        "\tTopic: orders\tPartition: 1\tLeader: none\tReplicas: 2,1\tIsr: 2",
    ]


def test_describe_filters() -> None:
    under = topics.describe_lines(_desc(), "", _args(under_replicated_partitions=True))
    assert under == ["\tTopic: orders\tPartition: 1\tLeader: none\tReplicas: 2,1\tIsr: 2"]
    unavailable = topics.describe_lines(_desc(), "", _args(unavailable_partitions=True))
    assert unavailable == under


def test_topics_requires_one_action(capsys: pytest.CaptureFixture[str]) -> None:
    assert topics.main(["--bootstrap-server", "127.0.0.1:1", "--list", "--delete"]) == 1
    assert "exactly one action" in capsys.readouterr().err
    assert topics.main(["--bootstrap-server", "127.0.0.1:1", "--create"]) == 1
    assert "--topic is required" in capsys.readouterr().err
    assert topics.main(["--list"]) == 1
    assert "--bootstrap-server" in capsys.readouterr().err


def test_format_config_entry_with_synonyms() -> None:
    syn = ConfigEntry("retention.ms", "1000", source=ConfigSource.DYNAMIC_TOPIC_CONFIG)
    default = ConfigEntry("log.retention.hours", "168", source=5)  # as librdkafka reports it
    entry = ConfigEntry(
        "retention.ms",
        "1000",
        source=ConfigSource.DYNAMIC_TOPIC_CONFIG,
        synonyms={"a": syn, "b": default},
    )
    assert configs.format_entry(entry) == (
        "retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, "
        "DEFAULT_CONFIG:log.retention.hours=168}"
    )
    secret = ConfigEntry("sasl.jaas.config", "x", is_sensitive=True)
    assert configs.format_entry(secret) == "sasl.jaas.config=null sensitive=true synonyms={}"


def test_alter_entries_set_and_delete() -> None:
    entries = configs.alter_entries(["retention.ms=5,cleanup.policy=[compact,delete]"], ["a,b"])
    got = [(e.name, e.value, e.incremental_operation) for e in entries]
    assert got == [
        ("retention.ms", "5", AlterConfigOpType.SET),
        ("cleanup.policy", "compact,delete", AlterConfigOpType.SET),
        ("a", None, AlterConfigOpType.DELETE),
        ("b", None, AlterConfigOpType.DELETE),
    ]
    with pytest.raises(ClientError, match="both added and deleted"):
        configs.alter_entries(["a=1"], ["a"])
    with pytest.raises(ClientError):
        configs.alter_entries([], [])


def test_configs_entity_checks(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--bootstrap-server", "127.0.0.1:1"]
    assert configs.main([*base, "--describe"]) == 1
    assert "--entity-type must be specified" in capsys.readouterr().err
    assert configs.main([*base, "--describe", "--alter", "--topic", "t"]) == 1
    assert configs.main([*base, "--describe", "--entity-type", "topics", "--entity-default"]) == 1
    assert "only supported" in capsys.readouterr().err


def test_error_message_names_the_kafka_error() -> None:
    exc = KafkaException(KafkaError(KafkaError.TOPIC_ALREADY_EXISTS, "Topic 'x' already exists."))
    assert error_message(exc) == "Topic 'x' already exists. (TOPIC_ALREADY_EXISTS)"
