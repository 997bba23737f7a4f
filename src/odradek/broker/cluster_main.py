"""``odradek cluster``: a local multi-broker cluster on loopback, for development and tests.

Starts a ZooKeeper-protocol server (``odradek zk``, standalone) unless ``--zookeeper HOSTS`` names
one, then ``--brokers N`` brokers (ids 1..N, each ``odradek serve`` with its own data directory
under ``--data-dir`` and ``zookeeper.connect`` with a ``/odradek`` chroot), prints one status
line per process and the bootstrap servers, and stops everything on SIGINT/SIGTERM.

:class:`LocalCluster` is the same machinery as a library: the interop tests use it to kill -9
and restart brokers by the PIDs it started.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from odradek.testing.process import BrokerProcess, free_port

APACHE_CP = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"


class ZkServer:
    """A standalone ZooKeeper-protocol server process: ``odradek`` or ``apache`` (Debian's 3.8)."""

    def __init__(
        self,
        kind: str,
        base: Path,
        port: int | None = None,
        myid: int | None = None,
        peers: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        self.kind = kind
        self.base = base
        self.port = port or free_port()
        data = base / "data"
        data.mkdir(parents=True, exist_ok=True)
        if myid is not None:
            (data / "myid").write_text(f"{myid}\n")
        self.cfg = base / "zoo.cfg"
        settings = {
            "tickTime": "500",
            "dataDir": str(data),
            "clientPort": str(self.port),
            "clientPortAddress": "127.0.0.1",
            "maxClientCnxns": "0",
            "minSessionTimeout": "1000",
            "maxSessionTimeout": "60000",
            "4lw.commands.whitelist": "*",
            "admin.enableServer": "false",
            "autopurge.purgeInterval": "0",
            "initLimit": "10",
            "syncLimit": "5",
        }
        for sid, (quorum, election) in sorted((peers or {}).items()):
            settings[f"server.{sid}"] = f"127.0.0.1:{quorum}:{election}"
        self.cfg.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def hosts(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "odradek":
            return [sys.executable, "-m", "odradek.cli", "zk", "--config", str(self.cfg)]
        return [
            "java", "-Xmx256m", "-XX:+UseSerialGC", "-Dzookeeper.admin.enableServer=false",
            "-cp", APACHE_CP, "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(self.cfg),
        ]  # fmt: skip

    def launch(self) -> None:
        log = (self.base / "server.log").open("ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def start(self, timeout: float = 30.0) -> ZkServer:
        self.launch()
        return self.wait_serving(timeout)

    def wait_serving(self, timeout: float = 30.0) -> ZkServer:
        import socket

        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} zookeeper exited with {self.proc.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.5) as s,
            ):
                s.sendall(b"srvr")
                if b"Mode:" in s.recv(4096):
                    return self
            time.sleep(0.1)
        raise TimeoutError(f"{self.kind} zookeeper did not answer on {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class ZkEnsemble:
    """``n`` ZooKeeper servers of one ``kind`` forming an ensemble on loopback."""

    def __init__(self, kind: str, base: Path, n: int) -> None:
        peers = {i: (free_port(), free_port()) for i in range(1, n + 1)}
        self.servers = [
            ZkServer(kind, base / f"zk-{i}", myid=i, peers=peers) for i in range(1, n + 1)
        ]

    @property
    def hosts(self) -> str:
        return ",".join(s.hosts for s in self.servers)

    def start(self, timeout: float = 60.0) -> ZkEnsemble:
        for s in self.servers:
            s.launch()
        for s in self.servers:
            s.wait_serving(timeout)
        return self

    def stop(self) -> None:
        for s in self.servers:
            s.stop()


class LocalCluster:
    """Brokers 1..N on free loopback ports, sharing ``zookeeper`` (HOSTS[/chroot])."""

    def __init__(self, base: Path, zookeeper: str, props: dict[str, str] | None = None) -> None:
        self.base = base
        self.zookeeper = zookeeper
        self.props = dict(props or {})
        self.brokers: dict[int, BrokerProcess] = {}

    def add_broker(self, node_id: int, start: bool = True) -> BrokerProcess:
        props = {
            "broker.id": str(node_id),
            "zookeeper.connect": self.zookeeper,
            **self.props,
        }
        b = BrokerProcess(self.base / f"broker-{node_id}" / "data", props=props)
        self.brokers[node_id] = b
        if start:
            b.start()
        return b

    def start(self, count: int) -> LocalCluster:
        threads = [threading.Thread(target=self.add_broker, args=(i,)) for i in range(1, count + 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return self

    def restart(self, node_id: int) -> BrokerProcess:
        b = self.brokers[node_id]
        b.start()
        return b

    def kill9(self, node_id: int) -> None:
        self.brokers[node_id].kill9()

    def wait_until_formed(self, timeout: float = 30.0) -> bool:
        """Wait until every broker's metadata lists every broker (the controller has told them
        all of each other); False if that did not happen within ``timeout`` seconds."""
        from kio.schema.metadata.v12.request import MetadataRequest

        from odradek.testing.wire import WireClient

        want = set(self.brokers)
        deadline = time.monotonic() + timeout
        pending = dict(self.brokers)
        while pending and time.monotonic() < deadline:
            for node_id, b in list(pending.items()):
                with contextlib.suppress(OSError):
                    c = WireClient(b.bootstrap, timeout=2.0)
                    try:
                        req = MetadataRequest(
                            topics=(),
                            allow_auto_topic_creation=False,
                            include_topic_authorized_operations=False,
                        )
                        resp = c.request(3, 12, req)
                    finally:
                        c.close()
                    if {x.node_id for x in resp.brokers} >= want:
                        del pending[node_id]
            if pending:
                time.sleep(0.1)
        return not pending

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers.values())

    def stop(self) -> None:
        threads = [threading.Thread(target=b.stop) for b in self.brokers.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="odradek cluster", description=__doc__.split("\n")[0])
    p.add_argument("--brokers", type=int, default=3, help="number of brokers (ids 1..N)")
    p.add_argument("--zk", type=int, default=1, help="odradek zk servers to start (1 or 3, 5..)")
    p.add_argument("--zookeeper", help="use this zookeeper.connect instead of starting one")
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument(
        "--override", action="append", default=[], metavar="KEY=VALUE",
        help="broker property for every broker (repeatable)",
    )  # fmt: skip
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.zk < 1 and not args.zookeeper:
        print("odradek cluster: --zk needs at least 1 server", file=sys.stderr)
        return 2
    props = dict(item.split("=", 1) for item in args.override)
    props.setdefault("default.replication.factor", str(min(3, args.brokers)))
    props.setdefault("offsets.topic.replication.factor", str(min(3, args.brokers)))
    props.setdefault("transaction.state.log.replication.factor", str(min(3, args.brokers)))
    args.data_dir.mkdir(parents=True, exist_ok=True)
    zk: ZkServer | ZkEnsemble | None = None
    if args.zookeeper:
        connect = args.zookeeper
    else:
        if args.zk == 1:
            zk = ZkServer("odradek", args.data_dir / "zk").start()
            servers = [zk]
        else:
            zk = ZkEnsemble("odradek", args.data_dir, args.zk).start()
            servers = zk.servers
        for s in servers:
            print(f"zookeeper  pid={s.proc.pid if s.proc else -1} {s.hosts}", flush=True)
        connect = f"{zk.hosts}/odradek"
    cluster = LocalCluster(args.data_dir, connect, props)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        cluster.start(args.brokers)
        if not cluster.wait_until_formed():
            print("warning: not every broker sees all the others yet", flush=True)
        for node_id, b in sorted(cluster.brokers.items()):
            print(f"broker {node_id}   pid={b.pid} {b.bootstrap} data={b.data_dir}", flush=True)
        print(f"bootstrap.servers={cluster.bootstrap}", flush=True)
        print(f"zookeeper.connect={connect}", flush=True)
        while not stop.wait(1.0):
            for node_id, b in cluster.brokers.items():
                if b.proc is not None and b.proc.poll() is not None:
                    print(f"broker {node_id} exited with {b.proc.returncode}", flush=True)
                    stop.set()
    finally:
        cluster.stop()
        if zk is not None:
            zk.stop()
        print("cluster stopped", flush=True)
    return 0
