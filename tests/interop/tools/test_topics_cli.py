"""``odradek topics`` and ``odradek configs`` against a real broker, run as subprocesses."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Runner = Callable[..., Any]
MakeTopic = Callable[..., None]

pytestmark = pytest.mark.interop

PARTITION_LINE = re.compile(
    r"^\tTopic: (\S+)\tPartition: (\d+)\tLeader: (\d+)\tReplicas: (\d+)\tIsr: (\d+)$"
)


def test_create_list_describe_delete(tool: Runner, make_topic: MakeTopic, topic_name: str) -> None:
    make_topic(topic_name, 3)
    listed = tool("topics", "--list")
    assert listed.code == 0
    assert topic_name in listed.out.splitlines()

    desc = tool("topics", "--describe", "--topic", topic_name)
    assert desc.code == 0, desc.err
    lines = desc.out.splitlines()
    assert re.match(
        rf"^Topic: {topic_name}\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\t"
        r"Configs: ",
        lines[0],
    ), lines[0]
    parts = [PARTITION_LINE.match(line) for line in lines[1:]]
    assert all(parts) and len(parts) == 3, lines
    assert [int(m.group(2)) for m in parts if m] == [0, 1, 2]
    for m in parts:
        assert m is not None and m.group(3) == m.group(4) == m.group(5)

    deleted = tool("topics", "--delete", "--topic", topic_name)
    assert deleted.code == 0, deleted.err
    assert topic_name not in tool("topics", "--list").out.splitlines()


def test_create_existing_topic_fails_unless_if_not_exists(
    tool: Runner, make_topic: MakeTopic, topic_name: str
) -> None:
    make_topic(topic_name)
    again = tool("topics", "--create", "--topic", topic_name, "--partitions", "1")
    assert again.code == 1
    assert f"Topic '{topic_name}' already exists." in again.err
    quiet = tool("topics", "--create", "--topic", topic_name, "--if-not-exists")
    assert quiet.code == 0 and quiet.out == ""


def test_describe_or_delete_missing_topic_fails(tool: Runner, topic_name: str) -> None:
    for action in ("--describe", "--delete"):
        result = tool("topics", action, "--topic", topic_name)
        assert result.code == 1
        assert f"Topic '{topic_name}' does not exist as expected" in result.err
    assert tool("topics", "--delete", "--topic", topic_name, "--if-exists").code == 0


def test_command_config_file(tool: Runner, tmp_path: Path) -> None:
    good = tmp_path / "client.properties"
    good.write_text("# client settings\nclient.id=tools-test\nsocket.timeout.ms=10000\n")
    assert tool("topics", "--list", "--command-config", str(good)).code == 0
    bad = tmp_path / "bad.properties"
    bad.write_text("no.such.property=1\n")
    result = tool("topics", "--list", "--command-config", str(bad))
    assert result.code == 1 and "no.such.property" in result.err


def test_bad_arguments_exit_1(tool: Runner) -> None:
    result = tool("topics", "--list", "--describe")
    assert result.code == 1 and "exactly one action" in result.err
    result = tool("topics", "--create", "--topic", "bad/name", "--partitions", "1")
    assert result.code == 1 and result.err


def test_alter_adds_partitions(tool: Runner, make_topic: MakeTopic, topic_name: str) -> None:
    make_topic(topic_name, 1)
    altered = tool("topics", "--alter", "--topic", topic_name, "--partitions", "4")
    assert altered.code == 0, altered.err
    desc = tool("topics", "--describe", "--topic", topic_name)
    assert "PartitionCount: 4" in desc.out.splitlines()[0]
    shrink = tool("topics", "--alter", "--topic", topic_name, "--partitions", "2")
    assert shrink.code == 1 and shrink.err


def test_topic_configs_create_describe_alter(
    tool: Runner, make_topic: MakeTopic, topic_name: str
) -> None:
    make_topic(topic_name, 1, "retention.ms=123456", "cleanup.policy=compact")
    first = tool("topics", "--describe", "--topic", topic_name).out.splitlines()[0]
    configs = first.split("Configs: ", 1)[1].split(",")
    assert sorted(configs) == ["cleanup.policy=compact", "retention.ms=123456"]

    base = ["--entity-type", "topics", "--entity-name", topic_name]
    desc = tool("configs", "--describe", *base)
    assert desc.code == 0, desc.err
    lines = desc.out.splitlines()
    assert lines[0] == f"Dynamic configs for topic {topic_name} are:"
    assert any(
        line.startswith("  retention.ms=123456 sensitive=false synonyms={") for line in lines
    )

    alter = tool(
        "configs",
        "--alter",
        *base,
        "--add-config",
        "segment.ms=600000,retention.ms=9999",
        "--delete-config",
        "cleanup.policy",
    )
    assert alter.code == 0, alter.err
    assert alter.out.strip() == f"Completed updating config for topic {topic_name}."
    names = {line.split()[0] for line in tool("configs", "--describe", *base).out.splitlines()[1:]}
    assert names == {"segment.ms=600000", "retention.ms=9999"}

    full = tool("configs", "--describe", *base, "--all").out.splitlines()
    assert full[0] == f"All configs for topic {topic_name} are:"
    assert any(line.startswith("  cleanup.policy=delete ") for line in full)
    assert any(line.startswith("  retention.ms=9999 ") for line in full)


def test_invalid_config_value_rejected(
    tool: Runner, make_topic: MakeTopic, topic_name: str
) -> None:
    make_topic(topic_name)
    bad = tool("configs", "--alter", "--topic", topic_name, "--add-config", "retention.ms=abc")
    assert bad.code == 1 and bad.err


def test_broker_configs(tool: Runner) -> None:
    desc = tool("configs", "--describe", "--entity-type", "brokers", "--all")
    assert desc.code == 0, desc.err
    assert re.search(r"^All configs for broker \d+ are:$", desc.out, re.M)
    assert re.search(r"^  log\.segment\.bytes=\d+ sensitive=false", desc.out, re.M)
