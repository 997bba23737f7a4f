"""kazoo against odradek zk and Apache ZooKeeper: CRUD, Stats, sequential, ephemeral, multi."""

from __future__ import annotations

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadArgumentsError,
    BadVersionError,
    NoChildrenForEphemeralsError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    RuntimeInconsistency,
)

pytestmark = pytest.mark.interop


def test_root_and_reserved_nodes(client: KazooClient) -> None:
    data, _stat = client.get("/")
    assert data == b""
    assert "zookeeper" in client.get_children("/")
    assert sorted(client.get_children("/zookeeper")) == ["config", "quota"]
    _zdata, zstat = client.get("/zookeeper")
    assert (zstat.czxid, zstat.cversion, zstat.numChildren) == (0, -2, 2)


def test_crud_with_versions(client: KazooClient) -> None:
    path = client.create("/crud", b"v0")
    assert path == "/crud"
    data, stat = client.get(path)
    assert data == b"v0"
    assert (stat.version, stat.dataLength, stat.numChildren) == (0, 2, 0)
    assert stat.czxid == stat.mzxid == stat.pzxid
    assert stat.ctime == stat.mtime
    stat1 = client.set(path, b"value-1", version=0)
    assert stat1.version == 1 and stat1.dataLength == 7 and stat1.mzxid > stat.mzxid
    assert stat1.czxid == stat.czxid and stat1.mtime >= stat.mtime
    with pytest.raises(BadVersionError):
        client.set(path, b"x", version=0)
    with pytest.raises(NodeExistsError):
        client.create(path)
    with pytest.raises(NoNodeError):
        client.create("/crud-missing/child")
    with pytest.raises(NoNodeError):
        client.get("/crud-nope")
    assert client.exists("/crud-nope") is None
    client.create("/crud/kid")
    with pytest.raises(NotEmptyError):
        client.delete(path)
    with pytest.raises(BadVersionError):
        client.delete("/crud/kid", version=3)
    client.delete("/crud/kid", version=0)
    client.delete(path, version=1)
    assert client.exists(path) is None
    with pytest.raises(NoNodeError):
        client.delete(path)
    with pytest.raises((BadArgumentsError, ValueError)):
        client.create("/crud-bad/\x00")


def test_parent_stat_bookkeeping(client: KazooClient) -> None:
    client.create("/parent")
    p0 = client.exists("/parent")
    a = client.create("/parent/a")
    p1 = client.exists("/parent")
    assert (p1.cversion, p1.numChildren) == (1, 1)
    assert p1.pzxid == client.exists(a).czxid and p1.mzxid == p0.mzxid
    client.delete(a)
    p2 = client.exists("/parent")
    assert (p2.cversion, p2.numChildren) == (2, 0) and p2.pzxid > p1.pzxid
    client.set_acls("/parent", client.get_acls("/parent")[0])
    assert client.exists("/parent").aversion == 1


def test_sequential_numbering(client: KazooClient) -> None:
    client.create("/seq")
    first = client.create("/seq/n-", b"", sequence=True)
    assert first == "/seq/n-0000000000"
    client.delete(first)
    # the suffix counts creations only; the Stat's cversion also counts the deletion
    second = client.create("/seq/n-", b"", sequence=True)
    assert second == "/seq/n-0000000001"
    assert client.exists("/seq").cversion == 3
    third = client.create("/seq/other-", b"", sequence=True, ephemeral=True)
    assert third == "/seq/other-0000000002"


def test_ephemeral_nodes(zk: object, make_client) -> None:  # type: ignore[no-untyped-def]
    owner: KazooClient = make_client()
    other: KazooClient = make_client()
    path = owner.create("/eph", b"mine", ephemeral=True)
    stat = other.exists(path)
    assert stat is not None and stat.ephemeralOwner == owner.client_id[0]
    with pytest.raises(NoChildrenForEphemeralsError):
        owner.create("/eph/child")
    owner.stop()
    assert other.exists(path) is None


def test_multi_atomic_failure_and_results(client: KazooClient) -> None:
    client.create("/multi", b"0")
    t = client.transaction()
    t.create("/multi/a", b"a")
    t.create("/multi", b"dup")
    t.set_data("/multi", b"x")
    results = t.commit()
    assert [type(r) for r in results] == [RolledBackError, NodeExistsError, RuntimeInconsistency]
    assert client.get_children("/multi") == []
    assert client.get("/multi")[0] == b"0"
    t = client.transaction()
    t.create("/multi/a", b"a")
    t.create("/multi/a/b", b"b")
    t.check("/multi", 0)
    t.set_data("/multi", b"1")
    t.delete("/multi/a/b")
    results = t.commit()
    assert results[0] == "/multi/a" and results[1] == "/multi/a/b"
    assert results[2] is True and results[4] is True
    assert results[3].version == 1
    assert client.get_children("/multi") == ["a"]
    t = client.transaction()
    t.check("/multi", 7)
    t.delete("/multi/a")
    results = t.commit()
    assert [type(r) for r in results] == [BadVersionError, RuntimeInconsistency]
    assert client.exists("/multi/a") is not None
