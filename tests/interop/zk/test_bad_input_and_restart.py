"""Bad input on the client port, four-letter words, and kill -9 + restart durability."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from kazoo.client import KazooClient
from zk_servers import RawClient, ZkProcess, apache_available, four_letter, ustr

pytestmark = pytest.mark.interop


def still_serving(zk: ZkProcess) -> None:
    c = KazooClient(hosts=zk.hosts, timeout=10.0)
    c.start(timeout=15)
    try:
        c.ensure_path("/alive")
        assert c.exists("/alive") is not None
    finally:
        c.stop()
        c.close()


@pytest.mark.parametrize(
    "payload",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        struct.pack(">i", 0x7FFFFF00) + b"x" * 100,
        struct.pack(">i", -5) + b"abc",
        struct.pack(">i", 2 * 1024 * 1024) + b"\0" * 65536,
        struct.pack(">i", 12) + b"\x01" * 12,
        bytes(range(256))[::-1] * 8,
    ],
    ids=["http", "huge-length", "negative-length", "over-maxbuffer", "short-connect", "noise"],
)
def test_garbage_closes_only_that_connection(zk: ZkProcess, payload: bytes) -> None:
    raw = RawClient(zk.port)
    try:
        raw.sock.sendall(payload)
        assert raw.closed(10.0)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        raw.close()
    still_serving(zk)


def test_request_before_connect(zk: ZkProcess) -> None:
    raw = RawClient(zk.port)
    try:
        raw.request(1, 4, ustr("/zookeeper") + b"\0")  # getData as the first frame
        assert raw.closed(10.0)
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        raw.close()
    still_serving(zk)


def test_unknown_opcode_gets_unimplemented_then_close(zk: ZkProcess) -> None:
    raw = RawClient(zk.port)
    try:
        raw.connect()
        raw.request(7, 999, b"")
        xid, _zxid, err, _body = raw.reply()
        assert (xid, err) == (7, -6)
        assert raw.closed(10.0)
    finally:
        raw.close()
    still_serving(zk)


def test_truncated_request_body(zk: ZkProcess) -> None:
    raw = RawClient(zk.port)
    try:
        raw.connect()
        raw.request(3, 1, struct.pack(">i", 100) + b"/short")  # create with a lying string length
        try:
            _xid, _zxid, err, _ = raw.reply()
            assert err != 0
        except (ConnectionError, TimeoutError):
            pass
    finally:
        raw.close()
    still_serving(zk)


def test_four_letter_words(zk: ZkProcess) -> None:
    assert four_letter(zk.port, "ruok") == "imok"
    srvr = four_letter(zk.port, "srvr")
    assert "Mode: standalone" in srvr and "Zxid: 0x" in srvr and "Node count:" in srvr
    mntr = dict(
        line.split("\t", 1) for line in four_letter(zk.port, "mntr").splitlines() if "\t" in line
    )
    assert mntr["zk_server_state"] == "standalone" and int(mntr["zk_znode_count"]) >= 4
    assert f"clientPort={zk.port}" in four_letter(zk.port, "conf")
    assert "Total watches:" in four_letter(zk.port, "wchs")
    assert four_letter(zk.port, "isro") == "rw"
    assert "zookeeper.version=" in four_letter(zk.port, "envi")
    assert "Sessions with Ephemerals" in four_letter(zk.port, "dump")
    assert "queued=" in four_letter(zk.port, "stat") or "Clients:" in four_letter(zk.port, "stat")


KINDS = ["odradek"] + (["apache"] if apache_available() else [])


@pytest.mark.parametrize("kind", KINDS)
def test_kill9_restart_keeps_every_acknowledged_write(kind: str, tmp_path: Path) -> None:
    zk = ZkProcess(kind, tmp_path / kind, {"snapCount": "150"}).start()
    try:
        c = KazooClient(hosts=zk.hosts, timeout=10.0, connection_retry={"max_tries": 0})
        c.start(timeout=15)
        c.create("/durable", b"")
        for i in range(200):
            c.create(f"/durable/s{i}", str(i).encode())
        c.set("/durable/s0", b"changed")
        c.delete("/durable/s1")
        futures = [c.create_async(f"/durable/a{i}", b"async") for i in range(300)]
        acked = [f.get(timeout=30) for f in futures[:250]]
        zk.kill9()
        c.stop()
        c.close()
        zk.start()
        c = KazooClient(hosts=zk.hosts, timeout=10.0)
        c.start(timeout=15)
        kids = set(c.get_children("/durable"))
        assert {f"s{i}" for i in range(2, 200)} <= kids and "s1" not in kids
        assert {p.rsplit("/", 1)[1] for p in acked} <= kids
        assert c.get("/durable/s0")[0] == b"changed"
        assert c.get("/durable/s150")[0] == b"150"
        c.create("/durable/after-restart")
        c.stop()
        c.close()
    finally:
        zk.stop()
