"""Watches (data, child, exists; one-shot; ordering) and ACLs, on both servers."""

from __future__ import annotations

import struct
import threading

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import InvalidACLError, NoAuthError
from kazoo.protocol.states import EventType, WatchedEvent
from kazoo.security import make_digest_acl
from zk_servers import RawClient, ZkProcess, ustr

pytestmark = pytest.mark.interop

GET_DATA, GET_CHILDREN, EXISTS = 4, 8, 3


class Events:
    def __init__(self) -> None:
        self.items: list[WatchedEvent] = []
        self.cond = threading.Condition()

    def __call__(self, event: WatchedEvent) -> None:
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[tuple[str, str]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.items) >= n, timeout)
            return [(e.type, e.path) for e in self.items]


def test_data_child_exists_watches_fire_once(make_client) -> None:  # type: ignore[no-untyped-def]
    a: KazooClient = make_client()
    b: KazooClient = make_client()
    ev = Events()
    assert a.exists("/w", watch=ev) is None
    b.create("/w", b"1")
    assert ev.wait_for(1) == [(EventType.CREATED, "/w")]
    a.get("/w", watch=ev)
    a.get_children("/w", watch=ev)
    b.set("/w", b"2")
    b.set("/w", b"3")  # one-shot: no second event
    b.create("/w/c")
    got = ev.wait_for(3)
    assert got[1:3] == [(EventType.CHANGED, "/w"), (EventType.CHILD, "/w")]
    a.get("/w", watch=ev)
    a.get_children("/w", watch=ev)
    a.get("/w/c", watch=ev)
    b.delete("/w/c")
    got = ev.wait_for(5)
    assert sorted(got[3:5]) == sorted([(EventType.DELETED, "/w/c"), (EventType.CHILD, "/w")])
    b.delete("/w")
    got = ev.wait_for(7, timeout=3.0)
    assert got[5:] == [(EventType.DELETED, "/w")]  # data and child watch: one event


def test_watch_event_precedes_the_reply_that_shows_the_change(
    zk: ZkProcess, client: KazooClient
) -> None:
    client.create("/order", b"old")
    raw = RawClient(zk.port)
    try:
        raw.connect()
        raw.request(1, GET_DATA, ustr("/order") + b"\x01")
        assert raw.reply()[0] == 1
        client.set("/order", b"new")
        raw.request(2, GET_DATA, ustr("/order") + b"\x00")
        first = raw.reply()
        second = raw.reply()
        assert first[0] == -1  # the notification...
        ev_type, state = struct.unpack_from(">ii", first[3])
        assert (ev_type, state) == (3, 3)
        assert second[0] == 2 and b"new" in second[3]  # ...before the data it announces
    finally:
        raw.close()


def test_responses_keep_request_order(zk: ZkProcess, client: KazooClient) -> None:
    client.create("/pipe", b"")
    raw = RawClient(zk.port)
    try:
        raw.connect()
        for xid in range(1, 41):
            if xid % 3 == 0:
                acl = struct.pack(">ii", 1, 31) + ustr("world") + ustr("anyone")
                raw.request(xid, 1, ustr(f"/pipe/n{xid}") + b"\0\0\0\0" + acl + b"\0\0\0\0")
            else:
                raw.request(xid, EXISTS, ustr("/pipe") + b"\0")
        xids = [raw.reply()[0] for _ in range(40)]
        assert xids == list(range(1, 41))
    finally:
        raw.close()


def test_digest_acl(make_client) -> None:  # type: ignore[no-untyped-def]
    owner: KazooClient = make_client(auth_data=[("digest", "alice:secret")])
    stranger: KazooClient = make_client()
    acl = make_digest_acl("alice", "secret", all=True)
    owner.create("/acl", b"private", acl=[acl])
    assert owner.get("/acl")[0] == b"private"
    with pytest.raises(NoAuthError):
        stranger.get("/acl")
    with pytest.raises(NoAuthError):
        stranger.set("/acl", b"x")
    with pytest.raises(NoAuthError):
        stranger.create("/acl/kid")
    assert stranger.exists("/acl") is not None
    acls, _stat = owner.get_acls("/acl")
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(31, "digest", acl.id.id)]
    stranger.add_auth("digest", "alice:secret")
    assert stranger.get("/acl")[0] == b"private"
    from kazoo.security import ACL, Id

    with pytest.raises(InvalidACLError):
        stranger.create("/acl-bad", acl=[ACL(31, Id("nosuch", "x"))])
    with pytest.raises(InvalidACLError):
        stranger.create("/acl-bad", acl=[ACL(31, Id("digest", "no-colon"))])


def test_auth_scheme_acl_and_read_only(make_client) -> None:  # type: ignore[no-untyped-def]
    from kazoo.security import ACL, Id

    bob: KazooClient = make_client(auth_data=[("digest", "bob:pw")])
    other: KazooClient = make_client()
    bob.create("/ro", b"r", acl=[ACL(31, Id("auth", "")), ACL(1, Id("world", "anyone"))])
    acls, _ = bob.get_acls("/ro")
    assert {(a.id.scheme, a.perms) for a in acls} == {("digest", 31), ("world", 1)}
    assert other.get("/ro")[0] == b"r"
    with pytest.raises(NoAuthError):
        other.set("/ro", b"w")
    with pytest.raises(InvalidACLError):
        other.create("/ro2", acl=[ACL(31, Id("auth", ""))])
    stat = bob.set_acls("/ro", [ACL(31, Id("world", "anyone"))], version=0)
    assert stat.aversion == 1
    other.set("/ro", b"now-open")
