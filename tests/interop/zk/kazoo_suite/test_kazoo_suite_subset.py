"""A fast part of kazoo's own test suite against a 3-node odradek zk ensemble.

The whole suite (``make kazoo-suite``, a few minutes) is out of ``make test``; these modules
exercise the recipes over the harness's real ensemble in well under a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FAST_MODULES = ["test_counter", "test_election", "test_queue", "test_party", "test_lease"]


def test_kazoo_recipe_modules_pass_on_odradek(run_kazoo_suite: Callable[..., Any]) -> None:
    result = run_kazoo_suite(FAST_MODULES)
    assert result.failed == [], result.output
    assert result.returncode == 0, result.output
    assert len(result.passed) >= 30, result.output
