"""Fixtures for the tool interop tests: a bootstrap address and a way to run ``odradek <tool>``.

The tests run against the session ``broker`` fixture (a real ``odradek serve``). Setting
``ODRADEK_TOOLS_BOOTSTRAP=host:port`` points them at another Kafka-protocol broker instead
(used to check the tools against a peer broker); tests that read the broker's segment files
always use the ``broker`` fixture.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

PEER_ENV = "ODRADEK_TOOLS_BOOTSTRAP"


@dataclass
class ToolResult:
    code: int
    out: str
    err: str


Runner = Callable[..., ToolResult]


@pytest.fixture(scope="session")
def bootstrap(request: pytest.FixtureRequest) -> str:
    peer = os.environ.get(PEER_ENV)
    if peer:
        return peer
    broker = request.getfixturevalue("broker")
    address: str = broker.bootstrap
    return address


@pytest.fixture()
def tool(bootstrap: str) -> Runner:
    """``tool("topics", "--list", input="...")`` runs the real CLI as a subprocess."""

    def run(name: str, *args: str, input: str | None = None, timeout: float = 60) -> ToolResult:
        cmd = [sys.executable, "-m", "odradek.cli", name, "--bootstrap-server", bootstrap, *args]
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        return ToolResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture()
def topic_name() -> str:
    return f"tools-{uuid.uuid4().hex[:10]}"


@pytest.fixture()
def make_topic(tool: Runner) -> Callable[..., None]:
    """``make_topic(name, partitions, "k=v", ...)`` creates a topic with ``odradek topics``."""

    def create(name: str, partitions: int = 1, *configs: str) -> None:
        args = ["--create", "--topic", name, "--partitions", str(partitions)]
        args += ["--replication-factor", "1"]
        for c in configs:
            args += ["--config", c]
        result = tool("topics", *args)
        assert result.code == 0, result.err
        assert result.out.strip() == f"Created topic {name}."

    return create
