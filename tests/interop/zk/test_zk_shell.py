"""``odradek zk-shell`` against both servers (in-process, output captured)."""

from __future__ import annotations

import pytest
from zk_servers import ZkProcess

from odradek.tools import zk_shell

pytestmark = pytest.mark.interop


def shell(zk: ZkProcess, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = zk_shell.main(["--server", zk.hosts, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_shell_commands(zk: ZkProcess, capsys: pytest.CaptureFixture[str]) -> None:
    assert shell(zk, capsys, "create", "/sh", "hello") == (0, "Created /sh\n", "")
    code, out, _ = shell(zk, capsys, "create", "/sh/q-", "-s")
    assert code == 0 and out == "Created /sh/q-0000000000\n"
    assert shell(zk, capsys, "get", "/sh")[1] == "hello\n"
    assert shell(zk, capsys, "set", "/sh", "world", "-v", "0")[0] == 0
    assert shell(zk, capsys, "set", "/sh", "again", "-v", "0")[0] == 1
    code, out, _ = shell(zk, capsys, "stat", "/sh")
    assert code == 0 and "dataVersion = 1" in out and "numChildren = 1" in out
    assert shell(zk, capsys, "ls", "/sh")[1] == "[q-0000000000]\n"
    assert "'world,'anyone" in shell(zk, capsys, "getAcl", "/sh")[1]
    code, _, err = shell(zk, capsys, "delete", "/sh")
    assert code == 1 and "Node not empty" in err
    assert shell(zk, capsys, "delete", "/sh/q-0000000000")[0] == 0
    assert shell(zk, capsys, "delete", "/sh")[0] == 0
    code, _, err = shell(zk, capsys, "get", "/sh")
    assert code == 1 and err == "Node does not exist: /sh\n"
