"""Fetch sessions (KIP-227): which fetch requests are full, incremental, or refused.

A client opens a session by sending ``session_id=0, epoch=0``; the broker may create one (a new
id) or decline by answering ``session_id=0``, after which the client keeps sending full fetch
requests. That is the behaviour implemented here: every request is served as a full fetch and no
session state is kept, which is always correct for clients. A request naming a session id this
broker never issued gets FETCH_SESSION_ID_NOT_FOUND, except the close form (``epoch=-1``), which is
served sessionless.
"""

from __future__ import annotations

from dataclasses import dataclass

from odradek.common.errors import ErrorCode

INVALID_SESSION_ID = 0
INITIAL_EPOCH = 0
FINAL_EPOCH = -1


@dataclass(frozen=True, slots=True)
class SessionDecision:
    error: ErrorCode
    session_id: int  # the id to put in the response


class FetchSessionCache:
    def __init__(self, max_slots: int) -> None:
        self.max_slots = max_slots

    def decide(self, session_id: int, epoch: int) -> SessionDecision:
        if session_id == INVALID_SESSION_ID or epoch == FINAL_EPOCH:
            return SessionDecision(ErrorCode.NONE, INVALID_SESSION_ID)
        return SessionDecision(ErrorCode.FETCH_SESSION_ID_NOT_FOUND, INVALID_SESSION_ID)
