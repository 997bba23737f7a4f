"""Run kazoo's own test suite (installed ``kazoo.tests``) against odradek zk or Apache 3.8.

    python tests/interop/zk/kazoo_suite/run.py [--target odradek|apache] [MODULE ...] [-- ARGS]

MODULE is a kazoo test module name without the package (``test_client``); default: the modules
in :data:`DEFAULT_MODULES`. Arguments after ``--`` go to pytest. The ensemble uses kazoo's own
port scheme from a free base port (``ZOOKEEPER_PORT_OFFSET``). Exit status is pytest's.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Debian's zookeeper.jar manifest lacks the netty jars the harness's NettyServerCnxnFactory needs
APACHE_JARS = [
    "zookeeper",
    "netty-codec",
    "netty-resolver",
    "netty-transport-native-unix-common",
    "slf4j-simple",
]
APACHE_CP = ":".join(f"/usr/share/java/{jar}.jar" for jar in APACHE_JARS)
ZK_VERSION = "3.8.0"
CLUSTER_SIZE = 3
DEFAULT_MODULES = [
    "test_client",
    "test_connection",
    "test_watchers",
    "test_lock",
    "test_cache",
    "test_partitioner",
    "test_queue",
    "test_barrier",
    "test_counter",
    "test_election",
    "test_party",
    "test_lease",
    "test_retry",
    "test_paths",
    "test_exceptions",
    "test_hosts",
    "test_security",
    "test_utils",
    "test_threading_handler",
    "test_selectors_select",
    "test_interrupt",
    "test_build",
    "test_sasl",
    "test_eventlet_handler",
    "test_gevent_handler",
]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_base(span: int, tries: int = 50) -> int:
    """A base port such that ``base .. base+span`` are all free on loopback right now.

    Taken below Linux's ephemeral range (32768+) so that ports other processes bind with port 0
    do not land in the ensemble's ports while the harness restarts it between test classes.
    """
    rng = random.Random()
    for _ in range(tries):
        base = rng.randrange(21000, 32000, 100)
        if all(_port_free(p) for p in range(base, base + span)):
            return base
    raise RuntimeError("no free port range found")


def environment(target: str) -> dict[str, str]:
    env = dict(os.environ)
    env["ODRADEK_KAZOO_TARGET"] = target
    env["ZOOKEEPER_VERSION"] = ZK_VERSION
    env["ZOOKEEPER_CLUSTER_SIZE"] = str(CLUSTER_SIZE)
    env.setdefault("ZOOKEEPER_PORT_OFFSET", str(free_port_base(10 * CLUSTER_SIZE)))
    # the harness builds a Java classpath either way; odradek's launch ignores it
    env.setdefault("ZOOKEEPER_CLASSPATH", APACHE_CP if target == "apache" else "odradek")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    return env


def command(modules: list[str], extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(HERE / "kazoo_pytest.ini"),
        "--rootdir",
        str(HERE),
        "-p",
        "kazoo_adapter",
        "--pyargs",
        *[f"kazoo.tests.{m}" for m in modules],
        *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", choices=["odradek", "apache"], default="odradek")
    p.add_argument("modules", nargs="*")
    args = p.parse_args(argv)
    cmd = command(args.modules or DEFAULT_MODULES, extra)
    return subprocess.call(cmd, env=environment(args.target), cwd=HERE)


if __name__ == "__main__":
    sys.exit(main())
