"""DescribeLogDirs (key 35): partition sizes per log directory."""

from __future__ import annotations

import os
from typing import Any

from odradek.broker.api import ApiSpec
from odradek.broker.context import RequestContext
from odradek.broker.handlers.base import respond


def handle(ctx: RequestContext, request: Any) -> Any:
    wanted: dict[str, set[int]] | None = None
    if request.topics is not None:
        wanted = {}
        for t in request.topics:
            wanted.setdefault(t.topic, set()).update(t.partitions)
    by_topic: dict[str, list[dict[str, object]]] = {}
    for lg in ctx.broker.log_manager.all_logs():
        if wanted is not None and lg.partition not in wanted.get(lg.topic, set()):
            continue
        by_topic.setdefault(lg.topic, []).append(
            {
                "partition_index": lg.partition,
                "partition_size": lg.size_bytes(),
                "offset_lag": 0,
                "is_future_key": False,
            }
        )
    data_dir = str(ctx.broker.data_dir.resolve())
    st = os.statvfs(data_dir)
    result = {
        "error_code": 0,
        "log_dir": data_dir,
        "topics": [{"name": n, "partitions": ps} for n, ps in sorted(by_topic.items())],
        "total_bytes": st.f_blocks * st.f_frsize,
        "usable_bytes": st.f_bavail * st.f_frsize,
    }
    return respond(ctx, {"throttle_time": 0, "error_code": 0, "results": [result]})


SPEC = ApiSpec(35, "DescribeLogDirs", 1, 4, kio_handler=handle)
