"""What the quorum state machine asks its driver to do, in order.

The driver executes actions strictly in the order queued: a :class:`SendSnap` serialises the
state as it stands after every :class:`ApplyTxn` queued before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from odradek.zk.ensemble.messages import Message, Request
from odradek.zk.txn import Txn


@dataclass(frozen=True, slots=True)
class Send:
    to: int
    epoch: int
    msg: Message


@dataclass(frozen=True, slots=True)
class LogTxn:
    """Append to the txn log; call ``Peer.logged(zxid)`` once it is fsynced."""

    txn: Txn


@dataclass(frozen=True, slots=True)
class ApplyTxn:
    """The txn is committed: apply it to the data tree (in zxid order) and answer clients."""

    txn: Txn


@dataclass(frozen=True, slots=True)
class SendSnap:
    to: int
    epoch: int


@dataclass(frozen=True, slots=True)
class LoadSnap:
    zxid: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Truncate:
    """Roll the state (tree and log) back to ``zxid``: later txns were never committed."""

    zxid: int


@dataclass(frozen=True, slots=True)
class SaveEpochs:
    accepted: int
    current: int


@dataclass(frozen=True, slots=True)
class RoleChange:
    state: int
    leader: int


@dataclass(frozen=True, slots=True)
class Forwarded:
    """Leader: a learner forwarded a client write; prep it and ``propose`` the txn."""

    sender: int
    request: Request


@dataclass(frozen=True, slots=True)
class Touch:
    """Leader: sessions seen alive by a learner (session id, timeout)."""

    sessions: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class SyncReady:
    """A sync barrier passed: every write committed before the sync has been applied here."""

    token: int


Action = (
    Send | LogTxn | ApplyTxn | SendSnap | LoadSnap | Truncate | SaveEpochs | RoleChange
    | Forwarded | Touch | SyncReady
)  # fmt: skip
