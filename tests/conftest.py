"""Shared fixtures: real broker processes on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from odradek.testing.process import BrokerProcess

FAST_GROUP_PROPS = {"group.initial.rebalance.delay.ms": "0"}


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    """One broker shared by the interop tests that only need a working server."""
    data = tmp_path_factory.mktemp("broker") / "data"
    proc = BrokerProcess(data, props=FAST_GROUP_PROPS).start()
    yield proc
    proc.stop()


@pytest.fixture()
def fresh_broker(tmp_path: Path) -> Iterator[BrokerProcess]:
    """A broker of the test's own, for tests that kill or restart it."""
    proc = BrokerProcess(tmp_path / "data", props=FAST_GROUP_PROPS).start()
    yield proc
    proc.stop()
