"""Behaviour kazoo's own test suite checks, pinned here on odradek zk and Apache ZooKeeper 3.8.

Found by running kazoo's suite against odradek (tests/interop/zk/kazoo_suite): null znode data
must read back as ``None``, distinct from ``b""``.
"""

from __future__ import annotations

from kazoo.client import KazooClient


def test_null_data_reads_back_as_none(client: KazooClient) -> None:
    client.create("/compat-null", None)
    client.create("/compat-empty", b"")
    assert client.get("/compat-null")[0] is None
    assert client.get("/compat-empty")[0] == b""
    client.set("/compat-empty", None)
    client.set("/compat-null", b"")
    assert client.get("/compat-empty")[0] is None
    assert client.get("/compat-null")[0] == b""
    assert client.get("/compat-empty")[1].dataLength == 0
