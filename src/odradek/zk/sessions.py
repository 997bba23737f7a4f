"""Session tracking with tick-based expiry (pure; ``now`` in milliseconds is passed in).

Like ZooKeeper's ExpiryQueue, a session's deadline is rounded up to the next multiple of the
tick, so expiry is checked once per tick for whole buckets. Session ids are
``(now_ms << 24) >> 8 | server_id << 56`` plus a counter; passwords are derived from the id and
a secret, so any server knowing the secret can validate a reconnecting client.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

PASSWORD_LEN = 16
_MASK64 = (1 << 64) - 1


def to_signed(v: int) -> int:
    v &= _MASK64
    return v - (1 << 64) if v >= 1 << 63 else v


def initial_session_id(now_ms: int, server_id: int) -> int:
    base = ((now_ms << 24) & _MASK64) >> 8
    return to_signed(base | (server_id << 56))


@dataclass(slots=True)
class Session:
    id: int
    timeout: int
    expires_at: int
    closing: bool = False


class SessionTracker:
    def __init__(self, tick_ms: int, server_id: int, now_ms: int, secret: bytes = b"") -> None:
        self.tick = max(1, tick_ms)
        self.secret = secret or b"odradek-zk"
        self.next_id = initial_session_id(now_ms, server_id)
        self.sessions: dict[int, Session] = {}
        self.buckets: dict[int, set[int]] = {}

    def password(self, session_id: int) -> bytes:
        raw = self.secret + session_id.to_bytes(8, "big", signed=True)
        return hashlib.sha256(raw).digest()[:PASSWORD_LEN]

    def new_id(self) -> int:
        sid = self.next_id
        self.next_id = to_signed(self.next_id + 1)
        return sid

    def _bucket(self, deadline: int) -> int:
        return (deadline // self.tick + 1) * self.tick

    def add(self, session_id: int, timeout: int, now: int) -> Session:
        s = self.sessions.get(session_id)
        if s is None:
            s = Session(session_id, timeout, 0)
            self.sessions[session_id] = s
        s.timeout = timeout
        self.touch(session_id, now)
        return s

    def touch(self, session_id: int, now: int) -> bool:
        s = self.sessions.get(session_id)
        if s is None or s.closing:
            return False
        deadline = self._bucket(now + s.timeout)
        if deadline != s.expires_at:
            old = self.buckets.get(s.expires_at)
            if old is not None:
                old.discard(session_id)
                if not old:
                    del self.buckets[s.expires_at]
            s.expires_at = deadline
            self.buckets.setdefault(deadline, set()).add(session_id)
        return True

    def valid(self, session_id: int) -> bool:
        s = self.sessions.get(session_id)
        return s is not None and not s.closing

    def password_matches(self, session_id: int, passwd: bytes | None) -> bool:
        """A reconnect's session id is live here and its password is the right one."""
        return (
            self.valid(session_id)
            and passwd is not None
            and hmac.compare_digest(passwd, self.password(session_id))
        )

    def set_closing(self, session_id: int) -> None:
        s = self.sessions.get(session_id)
        if s is not None:
            s.closing = True

    def remove(self, session_id: int) -> None:
        s = self.sessions.pop(session_id, None)
        if s is not None:
            bucket = self.buckets.get(s.expires_at)
            if bucket is not None:
                bucket.discard(session_id)
                if not bucket:
                    del self.buckets[s.expires_at]

    def next_deadline(self) -> int | None:
        return min(self.buckets) if self.buckets else None

    def expired(self, now: int) -> list[int]:
        """Sessions whose bucket is due; they are marked closing (the caller logs the close)."""
        due = sorted(t for t in self.buckets if t <= now)
        out: list[int] = []
        for t in due:
            for sid in sorted(self.buckets.pop(t)):
                s = self.sessions.get(sid)
                if s is not None and not s.closing:
                    s.closing = True
                    out.append(sid)
        return out
