"""The handler contract: how an API module declares itself and what it returns.

Two kinds of handler exist. A *kio handler* receives the decoded kio request and returns a kio
response entity (or an awaitable of one); the dispatcher encodes it. A *raw handler* (Produce,
Fetch, Metadata: the hot paths) receives the request body and returns the encoded response body as
a buffer list, so record bytes pass through untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from odradek.broker.context import RequestContext

BodyBuffers = Sequence[bytes | bytearray | memoryview]
# None means "send no response" (Produce with acks=0).
RawResult = BodyBuffers | None | Awaitable[BodyBuffers | None]
KioResult = Any

KioHandler = Callable[["RequestContext", Any], KioResult]
RawHandler = Callable[["RequestContext", memoryview, int], RawResult]


@dataclass(frozen=True, slots=True)
class ApiSpec:
    """One Kafka API served by the broker, with the version range it handles correctly."""

    api_key: int
    name: str
    min_version: int
    max_version: int
    kio_handler: KioHandler | None = None
    raw_handler: RawHandler | None = None
    # Whether the response of a version uses the flexible (v1) response header; None = from kio.
    flexible_from: int | None = None
