"""Per-request context handed to handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from odradek.broker.broker import Broker
    from odradek.net.connection import FramedConnection


@dataclass(slots=True)
class RequestContext:
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None
    broker: Broker
    connection: FramedConnection
    now_ms: int

    @property
    def client_host(self) -> str:
        return self.connection.peer[0]
