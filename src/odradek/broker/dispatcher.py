"""Request dispatch: header decode, version check, handler call, error translation, framing.

Errors are translated to the wire here and only here: a :class:`KafkaError` escaping a kio handler
becomes that handler's response with every top-level error code set; an unsupported version gets
UNSUPPORTED_VERSION (ApiVersions answers in its v0 layout so any client can read it); an unknown
API key or an undecodable request closes the connection, as Kafka does.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from odradek.broker.api import ApiSpec, BodyBuffers
from odradek.broker.context import RequestContext
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import kio_codec, shapes
from odradek.protocol.header import (
    API_VERSIONS_KEY,
    decode_request_header,
    encode_response_header,
    response_header_flexible,
)
from odradek.protocol.primitives import DecodeError

if TYPE_CHECKING:
    from odradek.broker.broker import Broker
    from odradek.net.connection import Buffers, FramedConnection, Reply

log = logging.getLogger(__name__)


class Dispatcher:
    """Turns frames into replies using the handler registry."""

    def __init__(self, broker: Broker, specs: list[ApiSpec]) -> None:
        self.broker = broker
        self.specs = {s.api_key: s for s in specs}

    def __call__(self, conn: FramedConnection, frame: memoryview) -> Reply:
        try:
            header, offset = decode_request_header(frame)
        except DecodeError as exc:
            log.warning("closing %s:%s: %s", *conn.peer, exc)
            conn.close()
            return None
        spec = self.specs.get(header.api_key)
        if spec is None:
            log.warning("closing %s:%s: unknown api key %d", *conn.peer, header.api_key)
            conn.close()
            return None
        flexible = response_header_flexible(header.api_key, header.api_version)
        head = encode_response_header(header.correlation_id, flexible)
        if not spec.min_version <= header.api_version <= spec.max_version:
            return self._unsupported(conn, spec, header.api_version, head)
        ctx = RequestContext(
            header.api_key,
            header.api_version,
            header.correlation_id,
            header.client_id,
            self.broker,
            conn,
            self.broker.clock.now_ms(),
        )
        try:
            if spec.raw_handler is not None:
                return _frame_raw(head, spec.raw_handler(ctx, frame, offset))
            request = kio_codec.decode_request(header.api_key, header.api_version, frame, offset)
        except KafkaError as exc:
            return self._error_reply(ctx, head, exc)
        except (DecodeError, ValueError, IndexError, TypeError) as exc:
            log.warning("closing %s:%s: malformed %s: %s", *conn.peer, spec.name, exc)
            conn.close()
            return None
        assert spec.kio_handler is not None
        try:
            result = spec.kio_handler(ctx, request)
        except KafkaError as exc:
            return self._error_reply(ctx, head, exc)
        if inspect.isawaitable(result):
            return self._await_kio(ctx, head, result)
        return [head, kio_codec.encode_response(result)]

    async def _await_kio(
        self, ctx: RequestContext, head: bytes, pending: Awaitable[Any]
    ) -> Buffers:
        try:
            result = await pending
        except KafkaError as exc:
            reply = self._error_reply(ctx, head, exc)
            assert reply is not None
            return reply
        return [head, kio_codec.encode_response(result)]

    def _error_reply(self, ctx: RequestContext, head: bytes, exc: KafkaError) -> Buffers | None:
        try:
            cls = kio_codec.response_class(ctx.api_key, ctx.api_version)
        except KafkaError:
            ctx.connection.close()
            return None
        log.debug("%s v%d failed: %s", cls.__name__, ctx.api_version, exc)
        return [head, kio_codec.encode_response(shapes.error_response(cls, int(exc.code)))]

    def _unsupported(
        self, conn: FramedConnection, spec: ApiSpec, version: int, head: bytes
    ) -> Buffers | None:
        if spec.api_key == API_VERSIONS_KEY:
            # KIP-511: answer in v0 layout with our range so the client can retry.
            cls = kio_codec.response_class(API_VERSIONS_KEY, 0)
            body = shapes.build(
                cls,
                {
                    "error_code": ErrorCode.UNSUPPORTED_VERSION,
                    "api_keys": [
                        {
                            "api_key": s.api_key,
                            "min_version": s.min_version,
                            "max_version": s.max_version,
                        }
                        for s in self.specs.values()
                    ],
                },
            )
            return [head, kio_codec.encode_response(body)]
        try:
            cls = kio_codec.response_class(spec.api_key, version)
        except KafkaError:
            log.warning("closing %s:%s: %s v%d unsupported", *conn.peer, spec.name, version)
            conn.close()
            return None
        body = shapes.error_response(cls, int(ErrorCode.UNSUPPORTED_VERSION))
        return [head, kio_codec.encode_response(body)]


def _frame_raw(head: bytes, result: Any) -> Reply:
    if result is None:
        return None
    if inspect.isawaitable(result):
        return _prepend(head, result)
    return [head, *result]


async def _prepend(head: bytes, pending: Awaitable[BodyBuffers | None]) -> Buffers | None:
    body = await pending
    if body is None:
        return None
    return [head, *body]
