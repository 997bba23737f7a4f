"""pytest plugin: run kazoo's own test suite against ``odradek zk`` (or Apache ZooKeeper).

kazoo's harness (``kazoo.testing.common.ManagedZooKeeper``) writes a zoo.cfg and a ``myid`` per
member of a 3-node ensemble and then starts ``java ... QuorumPeerMain <zoo.cfg>``. This plugin
keeps all of that and swaps only the process launch: ``common.subprocess`` is replaced by a shim
whose ``Popen`` receives the Java command line, moves its ``-D`` system properties that matter
(``readonlymode.enabled``, the digest super user) into the same zoo.cfg and starts
``python -m odradek.cli zk --config <zoo.cfg>`` instead. With ``ODRADEK_KAZOO_TARGET=apache``
the Java command runs unchanged apart from a heap cap, so both targets see the same config.

Both targets also get ``clientPortAddress``/``admin.serverAddress`` set to 127.0.0.1 (tests
here bind loopback only), and ``ZookeeperCluster.start`` waits, after kazoo's fixed 2 s pause,
until every member answers ``srvr`` with a ``Mode:`` line (serving) -- on a loaded machine three
JVMs need longer than 2 s and kazoo's health check then times out (at most
:data:`READY_TIMEOUT` seconds; kazoo's own retry takes over after that). Server output goes
to ``<working dir>/zookeeper.log``, where kazoo's ``get_logs`` (printed on failures) looks.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

TARGET_ENV = "ODRADEK_KAZOO_TARGET"
READY_TIMEOUT = 60.0
LOOPBACK_LINES = ("clientPortAddress=127.0.0.1", "admin.serverAddress=127.0.0.1")
# -D system properties of the Java command line that are zoo.cfg settings for odradek
PROPERTY_KEYS = (
    "readonlymode.enabled",
    "zookeeper.DigestAuthenticationProvider.superDigest",
)


def target() -> str:
    return os.environ.get(TARGET_ENV, "odradek")


def _properties(java_args: list[str]) -> dict[str, str]:
    props: dict[str, str] = {}
    for arg in java_args:
        if arg.startswith("-D") and "=" in arg:
            key, _, value = arg[2:].partition("=")
            if key in PROPERTY_KEYS:
                props[key] = value
    return props


def _append(cfg: Path, lines: list[str]) -> None:
    with cfg.open("a") as fh:
        fh.write("\n" + "".join(line + "\n" for line in lines))


def _log_file(cfg: Path) -> Any:
    return (cfg.parent / "zookeeper.log").open("ab")


def launch(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Stand-in for ``subprocess.Popen`` as called by ``ManagedZooKeeper.run``."""
    cfg = Path(args[-1])
    lines = list(LOOPBACK_LINES)
    if target() == "apache":
        _append(cfg, [*lines, "admin.enableServer=false"])
        cmd = [args[0], "-Xmx256m", "-XX:+UseSerialGC", *args[1:]]
    else:
        lines += [f"{k}={v}" for k, v in _properties(args).items()]
        _append(cfg, lines)
        cmd = [sys.executable, "-m", "odradek.cli", "zk", "--config", str(cfg)]
    log = _log_file(cfg)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    try:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    finally:
        log.close()


def serving(port: int) -> bool:
    """True once the server on ``port`` answers ``srvr`` with its mode (it serves clients)."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1.0) as s:
        s.settimeout(1.0)
        s.sendall(b"srvr")
        out = b""
        while chunk := s.recv(4096):
            out += chunk
        return b"Mode:" in out
    return False


def wait_serving(cluster: Any, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    pending = [server.client_port for server in cluster]
    while pending and time.monotonic() < deadline:
        pending = [port for port in pending if not serving(port)]
        if pending:
            time.sleep(0.2)


def install() -> None:
    """Point kazoo's harness at :func:`launch` (module-local: no global ``Popen`` patch)."""
    from kazoo.testing import common

    shim = types.SimpleNamespace(Popen=launch)
    common.subprocess = shim  # type: ignore[attr-defined]
    original_start = common.ZookeeperCluster.start

    def start(self: Any) -> None:
        original_start(self)
        wait_serving(self)

    common.ZookeeperCluster.start = start  # type: ignore[method-assign]


def pytest_configure(config: Any) -> None:
    install()
