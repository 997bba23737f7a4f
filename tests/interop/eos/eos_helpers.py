"""Helpers of the exactly-once interop tests: a broker, a connection-cutting TCP proxy, reads."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from odradek.testing.process import BrokerProcess, free_port

EOS_PROPS = {
    "group.initial.rebalance.delay.ms": "0",
    "transaction.state.log.num.partitions": "5",
    "offsets.topic.num.partitions": "5",
}


def start_broker(data: Path, port: int | None = None, **props: str) -> BrokerProcess:
    return BrokerProcess(data, port=port, props={**EOS_PROPS, **props}).start()


def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(15)


def read_values(
    bootstrap: str,
    topic: str,
    expected: int,
    partitions: int = 1,
    committed: bool = True,
    timeout_s: float = 20.0,
) -> list[bytes]:
    """Values of the partitions in offset order (partition by partition), up to ``expected``."""
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "eos-reader",
            "enable.auto.commit": False,
            "isolation.level": "read_committed" if committed else "read_uncommitted",
            "enable.partition.eof": True,
        }
    )
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out: dict[int, list[bytes]] = {p: [] for p in range(partitions)}
    eof: set[int] = set()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is None:
            if sum(map(len, out.values())) >= expected and len(eof) == partitions:
                break
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
            continue
        eof.discard(m.partition())
        out[m.partition()].append(m.value())
    c.close()
    return [v for p in range(partitions) for v in out[p]]


class CuttingProxy:
    """A TCP proxy that, after every ``cut_every`` bytes from the client, forwards the chunk,
    waits a moment (the broker appends it) and closes both sides before any response gets
    back: the client must retry a request whose first attempt succeeded."""

    def __init__(self, upstream_port: int, cut_every: int, max_cuts: int) -> None:
        self.upstream_port = upstream_port
        self.cut_every = cut_every
        self.max_cuts = max_cuts
        self.cuts = 0
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> CuttingProxy:
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for t in self._threads:
            t.join(2)

    def _accept(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), 5)
            except OSError:
                client.close()
                continue
            t = threading.Thread(target=self._pump, args=(client, upstream), daemon=True)
            t.start()
            self._threads.append(t)

    def _should_cut(self, sent: int) -> bool:
        with self._lock:
            if self.cuts < self.max_cuts and sent >= self.cut_every:
                self.cuts += 1
                return True
            return False

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        cutting = threading.Event()
        back = threading.Thread(
            target=self._copy_back, args=(upstream, client, cutting), daemon=True
        )
        back.start()
        sent = 0
        try:
            client.settimeout(0.2)
            while not self._stop.is_set():
                try:
                    data = client.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                if self._should_cut(sent + len(data)):
                    cutting.set()  # responses from now on are dropped
                    upstream.sendall(data)
                    time.sleep(0.1)
                    break
                upstream.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def _copy_back(
        self, upstream: socket.socket, client: socket.socket, cutting: threading.Event
    ) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = upstream.recv(65536)
                if not data:
                    return
                if not cutting.is_set():
                    client.sendall(data)
