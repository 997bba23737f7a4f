"""DeleteGroups (key 42): delete empty groups and their committed offsets (answered once the
tombstones are committed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond
from odradek.broker.handlers.group_common import coordinator
from odradek.common.errors import ErrorCode, KafkaError


def handle(ctx: RequestContext, request: Any) -> Any:
    loop = asyncio.get_running_loop()
    names = list(request.groups_names)
    answers: list[asyncio.Future[ErrorCode]] = []
    for gid in names:
        fut: asyncio.Future[ErrorCode] = loop.create_future()
        answers.append(fut)
        try:
            coordinator(ctx).delete_group(gid, _setter(fut))
        except KafkaError as exc:
            fut.set_result(exc.code)

    def build(codes: list[ErrorCode]) -> Any:
        results = [{"group_id": g, "error_code": int(c)} for g, c in zip(names, codes, strict=True)]
        return respond(ctx, {"throttle_time": 0, "results": results})

    if all(f.done() for f in answers):
        return build([f.result() for f in answers])
    return _later(answers, build)


def _setter(fut: asyncio.Future[ErrorCode]) -> Callable[[ErrorCode], None]:
    def set_result(code: ErrorCode) -> None:
        if not fut.done():
            fut.set_result(code)

    return set_result


async def _later(
    answers: list[asyncio.Future[ErrorCode]], build: Callable[[list[ErrorCode]], Any]
) -> Any:
    """Cluster mode: the tombstones are answered once committed."""
    return build(list(await asyncio.gather(*answers)))


SPEC = ApiSpec(42, "DeleteGroups", 0, 2, kio_handler=handle)
