"""Fixture running a part of kazoo's own test suite (via run.py) and reading its JUnit report.

The kazoo tests themselves run in a child pytest with the ``kazoo_adapter`` plugin, so their
module-global cluster, atexit hooks and monkeypatches stay out of this process.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent / "run.py"


@dataclass
class SuiteResult:
    returncode: int
    passed: list[str]
    failed: list[str]
    skipped: list[str]
    output: str


def _parse(report: Path) -> tuple[list[str], list[str], list[str]]:
    passed: list[str] = []
    failed: list[str] = []
    skipped: list[str] = []
    for case in ET.parse(report).iter("testcase"):
        name = f"{case.get('classname', '').lstrip('.')}::{case.get('name')}"
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed.append(name)
        elif "skipped" in tags:
            skipped.append(name)
        else:
            passed.append(name)
    return passed, failed, skipped


@pytest.fixture()
def run_kazoo_suite(tmp_path: Path) -> Callable[..., SuiteResult]:
    def run(modules: list[str], target: str = "odradek", timeout: float = 240) -> SuiteResult:
        report = tmp_path / f"kazoo-{target}.xml"
        cmd = [sys.executable, str(RUNNER), "--target", target, *modules]
        proc = subprocess.run(
            [*cmd, "--", f"--junitxml={report}", "-p", "no:randomly"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = proc.stdout[-4000:] + proc.stderr[-2000:]
        if not report.exists():
            return SuiteResult(proc.returncode, [], [], [], output)
        return SuiteResult(proc.returncode, *_parse(report), output)

    return run
