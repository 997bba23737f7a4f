"""Incremental fetch sessions (KIP-227): the broker remembers what a consumer fetches.

Request forms, by ``(session_id, epoch)``:

* ``(0, -1)``: a sessionless full fetch; the response carries session id 0.
* ``(any, 0)``: a full fetch that opens a new session (closing the named one, if any). The
  response lists every partition and the new session id (0 when the cache has no room).
* ``(id, -1)``: close session ``id`` and serve the request as a sessionless full fetch.
* ``(id, n > 0)``: an incremental fetch: the request lists only added or changed partitions and
  the forgotten ones; the response lists only partitions with records, an error, or a changed
  high watermark / last stable offset / log start offset. An unknown id answers
  FETCH_SESSION_ID_NOT_FOUND, a wrong epoch INVALID_FETCH_SESSION_EPOCH.

The cache holds ``max.incremental.fetch.session.cache.slots`` sessions; when full, the least
recently used session idle for longer than the eviction time makes room.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass, field

from odradek.common.errors import ErrorCode

INVALID_SESSION_ID = 0
INITIAL_EPOCH = 0
FINAL_EPOCH = -1
EVICTION_MS = 120_000

# A partition key: (topic name or str(topic id), partition).
PartitionKey = tuple[str, int]


@dataclass(slots=True)
class CachedPartition:
    fetch_offset: int
    max_bytes: int
    high_watermark: int = -1
    last_stable_offset: int = -1
    log_start_offset: int = -1


@dataclass(slots=True)
class FetchSession:
    session_id: int
    epoch: int  # the epoch the next request must carry
    partitions: OrderedDict[PartitionKey, CachedPartition] = field(default_factory=OrderedDict)
    last_used_ms: int = 0


@dataclass(frozen=True, slots=True)
class SessionDecision:
    error: ErrorCode
    session_id: int  # the id to put in the response
    session: FetchSession | None = None  # set for full-with-session and incremental fetches
    incremental: bool = False


class FetchSessionCache:
    def __init__(self, max_slots: int, rng: random.Random | None = None) -> None:
        self.max_slots = max_slots
        self.sessions: dict[int, FetchSession] = {}
        self._rng = rng or random.Random()

    def decide(self, session_id: int, epoch: int, now_ms: int = 0) -> SessionDecision:
        if epoch in (INITIAL_EPOCH, FINAL_EPOCH):
            if session_id != INVALID_SESSION_ID:
                self.sessions.pop(session_id, None)
            if epoch == FINAL_EPOCH:
                return SessionDecision(ErrorCode.NONE, INVALID_SESSION_ID)
            session = self._create(now_ms)
            if session is None:
                return SessionDecision(ErrorCode.NONE, INVALID_SESSION_ID)
            return SessionDecision(ErrorCode.NONE, session.session_id, session, False)
        session = self.sessions.get(session_id)
        if session is None:
            return SessionDecision(ErrorCode.FETCH_SESSION_ID_NOT_FOUND, INVALID_SESSION_ID)
        if session.epoch != epoch:
            return SessionDecision(ErrorCode.INVALID_FETCH_SESSION_EPOCH, INVALID_SESSION_ID)
        session.epoch = _next_epoch(epoch)
        session.last_used_ms = now_ms
        return SessionDecision(ErrorCode.NONE, session_id, session, True)

    def _create(self, now_ms: int) -> FetchSession | None:
        if self.max_slots <= 0:
            return None
        if len(self.sessions) >= self.max_slots and not self._evict(now_ms):
            return None
        while True:
            sid = self._rng.randint(1, 2**31 - 1)
            if sid not in self.sessions:
                break
        session = FetchSession(sid, 1, last_used_ms=now_ms)
        self.sessions[sid] = session
        return session

    def _evict(self, now_ms: int) -> bool:
        oldest = min(self.sessions.values(), key=lambda s: s.last_used_ms)
        if now_ms - oldest.last_used_ms < EVICTION_MS:
            return False
        del self.sessions[oldest.session_id]
        return True


def _next_epoch(epoch: int) -> int:
    return 1 if epoch >= 2**31 - 1 else epoch + 1
