"""Protocol features kazoo does not use, checked frame by frame on both servers: persistent and
recursive watches (addWatch), setWatches after a reconnect, removeWatches, multiRead, whoAmI."""

from __future__ import annotations

import struct

import pytest
from kazoo.client import KazooClient
from zk_servers import RawClient, ZkProcess, ustr

pytestmark = pytest.mark.interop

EXISTS, GET_DATA, GET_CHILDREN, REMOVE_WATCHES, MULTI_READ = 3, 4, 8, 18, 22
SET_WATCHES, ADD_WATCH, WHO_AM_I, ALL_CHILDREN = 101, 106, 107, 104
CREATED, DELETED, CHANGED, CHILD = 1, 2, 3, 4


def events_until_reply(raw: RawClient, xid: int) -> list[tuple[int, str]]:
    """Send a sync-like exists and collect notifications until its reply."""
    raw.request(xid, EXISTS, ustr("/") + b"\0")
    events = []
    for _ in range(100):
        rxid, _zxid, _err, body = raw.reply()
        if rxid == xid:
            return events
        assert rxid == -1
        ev_type, _state, n = struct.unpack_from(">iii", body)
        events.append((ev_type, body[12 : 12 + n].decode()))
    raise AssertionError("no reply")


@pytest.fixture()
def raw(zk: ZkProcess) -> RawClient:
    r = RawClient(zk.port)
    r.connect()
    return r


def test_persistent_recursive_watch(raw: RawClient, client: KazooClient) -> None:
    raw.request(1, ADD_WATCH, ustr("/rec") + struct.pack(">i", 1))
    assert raw.reply()[:3:2] == (1, 0)
    client.create("/rec")
    client.create("/rec/a")
    client.set("/rec/a", b"1")
    client.set("/rec/a", b"2")
    client.delete("/rec/a")
    assert events_until_reply(raw, 2) == [
        (CREATED, "/rec"),
        (CREATED, "/rec/a"),
        (CHANGED, "/rec/a"),
        (CHANGED, "/rec/a"),
        (DELETED, "/rec/a"),
    ]
    raw.close()


def test_persistent_watch(raw: RawClient, client: KazooClient) -> None:
    raw.request(1, ADD_WATCH, ustr("/per") + struct.pack(">i", 0))
    assert raw.reply()[2] == 0
    client.create("/per")
    client.create("/per/x")
    client.set("/per", b"d")
    client.set("/per/x", b"not seen")
    client.delete("/per/x")
    client.delete("/per")
    assert events_until_reply(raw, 2) == [
        (CREATED, "/per"),
        (CHILD, "/per"),
        (CHANGED, "/per"),
        (CHILD, "/per"),
        (DELETED, "/per"),
    ]
    raw.request(3, REMOVE_WATCHES, ustr("/per") + struct.pack(">i", 3))
    assert raw.reply()[2] == 0
    raw.request(4, REMOVE_WATCHES, ustr("/per") + struct.pack(">i", 3))
    assert raw.reply()[2] == -121  # NOWATCHER
    client.create("/per")
    assert events_until_reply(raw, 5) == []
    raw.close()


def test_set_watches_after_reconnect(raw: RawClient, client: KazooClient) -> None:
    client.create("/sw-same", b"x")
    client.create("/sw-kids")
    raw.request(1, EXISTS, ustr("/") + b"\0")
    rel = raw.reply()[1]
    client.create("/sw-kids/k")
    client.create("/sw-born")
    body = struct.pack(">q", rel)
    body += struct.pack(">i", 2) + ustr("/sw-same") + ustr("/sw-gone")  # data watches
    body += struct.pack(">i", 1) + ustr("/sw-born")  # exist watches
    body += struct.pack(">i", 1) + ustr("/sw-kids")  # child watches
    raw.request(-8, SET_WATCHES, body)
    got = []
    for _ in range(4):
        xid, _z, err, b = raw.reply()
        if xid == -8:
            assert err == 0
            continue
        ev_type, _s, n = struct.unpack_from(">iii", b)
        got.append((ev_type, b[12 : 12 + n].decode()))
    assert sorted(got) == sorted([(DELETED, "/sw-gone"), (CREATED, "/sw-born"),
                                  (CHILD, "/sw-kids")])  # fmt: skip
    client.set("/sw-same", b"y")
    assert events_until_reply(raw, 2) == [(CHANGED, "/sw-same")]
    raw.close()


def test_multi_read_and_who_am_i(raw: RawClient, client: KazooClient) -> None:
    client.create("/mr", b"data")
    client.create("/mr/k")
    body = struct.pack(">i?i", GET_DATA, False, -1) + ustr("/mr") + b"\0"
    body += struct.pack(">i?i", GET_CHILDREN, False, -1) + ustr("/mr") + b"\0"
    body += struct.pack(">i?i", GET_DATA, False, -1) + ustr("/mr-missing") + b"\0"
    body += struct.pack(">i?i", -1, True, -1)
    raw.request(1, MULTI_READ, body)
    xid, _zxid, err, resp = raw.reply()
    assert (xid, err) == (1, 0)
    t, done, e = struct.unpack_from(">i?i", resp)
    assert (t, done, e) == (GET_DATA, False, 0)
    assert resp[9:17] == struct.pack(">i", 4) + b"data"
    assert struct.pack(">i?i", -1, False, -101) + struct.pack(">i", -101) in resp
    assert resp.endswith(struct.pack(">i?i", -1, True, -1))
    raw.request(2, WHO_AM_I, b"")
    _x, _z, err, resp = raw.reply()
    assert err == 0 and struct.unpack_from(">i", resp)[0] == 1 and b"ip" in resp
    raw.request(3, ALL_CHILDREN, ustr("/mr"))
    assert raw.reply()[2:] == (0, struct.pack(">i", 1))
    raw.close()


CREATE2, CREATE_CONTAINER, CREATE_TTL, GET_EPHEMERALS = 15, 19, 21, 103
OPEN_ACL = struct.pack(">ii", 1, 31) + ustr("world") + ustr("anyone")
STAT = struct.Struct(">qqqqiiiqiiq")


def created_stat(raw: RawClient, xid: int, op: int, path: str, flags: int, ttl: int | None):  # type: ignore[no-untyped-def]
    body = ustr(path) + struct.pack(">i", 0) + OPEN_ACL + struct.pack(">i", flags)
    if ttl is not None:
        body += struct.pack(">q", ttl)
    raw.request(xid, op, body)
    rxid, _zxid, err, resp = raw.reply()
    assert rxid == xid
    if err:
        return err, None
    (n,) = struct.unpack_from(">i", resp)
    return resp[4 : 4 + n].decode(), STAT.unpack_from(resp, 4 + n)


def test_extended_node_types_and_create2(raw: RawClient) -> None:
    path, stat = created_stat(raw, 1, CREATE_CONTAINER, "/cont", 4, None)
    assert path == "/cont" and stat[7] == 0  # the container marker is not shown to clients
    path, stat = created_stat(raw, 2, CREATE_TTL, "/ttl-", 6, 5000)
    assert path.startswith("/ttl-") and path[5:].isdigit() and len(path) == 15
    assert stat[7] == 0 and stat[0] == stat[1] == stat[10]
    path, stat = created_stat(raw, 3, CREATE2, "/eph2", 1, None)
    assert path == "/eph2" and stat[4:7] == (0, 0, 0) and stat[8:10] == (0, 0)
    assert created_stat(raw, 4, CREATE_TTL, "/ttl-bad", 0, 5000)[0] == -8  # BADARGUMENTS
    raw.request(5, GET_EPHEMERALS, ustr("/"))
    _x, _z, err, resp = raw.reply()
    assert err == 0 and resp == struct.pack(">i", 1) + ustr("/eph2")
    raw.close()
