"""The fetch session cache: the KIP-227 request forms and their errors."""

from __future__ import annotations

import random

from odradek.broker.fetch_sessions import EVICTION_MS, FetchSessionCache
from odradek.common.errors import ErrorCode


def test_sessionless_full_fetch() -> None:
    d = FetchSessionCache(10).decide(0, -1)
    assert d.error == ErrorCode.NONE and d.session_id == 0 and d.session is None


def test_open_then_incremental_epochs() -> None:
    cache = FetchSessionCache(10, random.Random(1))
    full = cache.decide(0, 0)
    assert full.session is not None and full.session_id != 0 and not full.incremental
    inc = cache.decide(full.session_id, 1)
    assert inc.incremental and inc.session is full.session
    assert cache.decide(full.session_id, 1).error == ErrorCode.INVALID_FETCH_SESSION_EPOCH
    assert cache.decide(full.session_id, 2).error == ErrorCode.NONE


def test_unknown_session_and_close() -> None:
    cache = FetchSessionCache(10)
    assert cache.decide(12345, 3).error == ErrorCode.FETCH_SESSION_ID_NOT_FOUND
    sid = cache.decide(0, 0).session_id
    closed = cache.decide(sid, -1)
    assert closed.error == ErrorCode.NONE and closed.session_id == 0
    assert cache.decide(sid, 1).error == ErrorCode.FETCH_SESSION_ID_NOT_FOUND


def test_full_cache_declines_then_evicts_idle() -> None:
    cache = FetchSessionCache(1)
    first = cache.decide(0, 0, now_ms=0)
    assert first.session_id != 0
    assert cache.decide(0, 0, now_ms=1000).session_id == 0  # no room, first is not idle
    third = cache.decide(0, 0, now_ms=EVICTION_MS + 1)
    assert third.session_id not in (0, first.session_id)
    assert cache.decide(first.session_id, 1).error == ErrorCode.FETCH_SESSION_ID_NOT_FOUND


def test_zero_slots_never_creates() -> None:
    assert FetchSessionCache(0).decide(0, 0).session_id == 0
