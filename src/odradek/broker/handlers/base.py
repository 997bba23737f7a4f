"""Small helpers shared by handler modules: building the negotiated response class."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from odradek.broker.context import RequestContext
from odradek.common.errors import ErrorCode, KafkaError
from odradek.protocol import kio_codec, shapes


def respond(ctx: RequestContext, data: Mapping[str, object]) -> Any:
    """The response of the request's API and version, built from newest-version field names."""
    return shapes.build(kio_codec.response_class(ctx.api_key, ctx.api_version), data)


def error_of(exc: BaseException) -> tuple[int, str | None]:
    """(error code, message) for a per-item failure."""
    if isinstance(exc, KafkaError):
        return int(exc.code), exc.message
    return int(ErrorCode.UNKNOWN_SERVER_ERROR), str(exc)
