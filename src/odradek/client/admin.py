"""A blocking face for confluent-kafka's AdminClient: a factory and a future waiter.

``wait_all`` resolves a ``{key: Future}`` dict within one deadline and turns every
``KafkaException`` into a :class:`ClientError` whose message reads like Kafka's tools print it.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Mapping
from typing import Any, TypeVar

from confluent_kafka import KafkaError as CKError
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from odradek.client.config import ClientError

K = TypeVar("K")

DEFAULT_TIMEOUT_S = 30.0


def admin_client(conf: Mapping[str, str]) -> AdminClient:
    """An AdminClient on ``conf``; librdkafka's own logs are kept off the tool's stderr."""
    settings: dict[str, Any] = {"log_level": 0, **conf}
    try:
        return AdminClient(settings)
    except KafkaException as exc:
        raise ClientError(error_message(exc)) from exc


def error_message(exc: BaseException) -> str:
    """One readable line for a client-side exception (Kafka error name and broker message)."""
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], CKError):
        err: CKError = exc.args[0]
        text = err.str() or ""
        name = err.name() or ""
        if name and name not in text:
            return f"{text} ({name})" if text else name
        return text or name
    if isinstance(exc, concurrent.futures.TimeoutError | TimeoutError):
        return "Timed out waiting for a response from the cluster"
    return str(exc) or type(exc).__name__


def error_code(exc: BaseException) -> int | None:
    """The Kafka error code carried by a KafkaException, or None."""
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], CKError):
        code: int = exc.args[0].code()
        return code
    return None


def wait_one(future: concurrent.futures.Future[Any], timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """The result of one admin future, or a ClientError with a readable message."""
    try:
        return future.result(timeout)
    except (KafkaException, concurrent.futures.TimeoutError) as exc:
        raise ClientError(error_message(exc)) from exc


def wait_all(
    futures: Mapping[K, concurrent.futures.Future[Any]], timeout: float = DEFAULT_TIMEOUT_S
) -> dict[K, Any | BaseException]:
    """Resolve every future before one shared deadline; failures are returned, not raised."""
    deadline = time.monotonic() + timeout
    out: dict[K, Any | BaseException] = {}
    for key, future in futures.items():
        remaining = max(0.0, deadline - time.monotonic())
        try:
            out[key] = future.result(remaining)
        except (KafkaException, concurrent.futures.TimeoutError) as exc:
            out[key] = exc
    return out
