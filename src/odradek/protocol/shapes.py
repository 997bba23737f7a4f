"""Version-agnostic construction of kio messages from plain data.

kio has one class per message *version*. Handlers describe a response once, as nested dicts in
the newest version's field names; :func:`build` turns that into the class of the negotiated
version, dropping fields that version lacks and converting plain values (ints to error codes,
milliseconds to timedeltas, ...). :func:`get` reads a request field that older versions lack.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar, cast

from kio.schema.errors import ErrorCode as KioErrorCode

T = TypeVar("T")

_ZERO_UUID = uuid.UUID(int=0)
_EPOCH = datetime.datetime.fromtimestamp(0, datetime.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class _FieldPlan:
    name: str
    kafka_type: str | None
    nested: type | None  # dataclass element type for arrays / structs
    is_array: bool
    required: bool


@cache
def _plan(cls: Any) -> tuple[_FieldPlan, ...]:
    hints = typing.get_type_hints(cls)
    plans = []
    for f in dataclasses.fields(cls):
        tp = hints.get(f.name, f.type)
        nested, is_array = _nested_type(tp)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        plans.append(_FieldPlan(f.name, f.metadata.get("kafka_type"), nested, is_array, required))
    return tuple(plans)


def _nested_type(tp: Any) -> tuple[type | None, bool]:
    origin = typing.get_origin(tp)
    if origin is tuple:
        (elem, *_rest) = typing.get_args(tp)
        inner, _ = _nested_type(elem)
        return inner, True
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            inner, arr = _nested_type(arg)
            if inner is not None or arr:
                return inner, arr
        return None, False
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return tp, False
    return None, False


def _zero(plan: _FieldPlan) -> object:
    if plan.is_array:
        return ()
    if plan.nested is not None:
        return build(plan.nested, {})
    kt = plan.kafka_type
    if kt == "error_code":
        return KioErrorCode.none
    if kt in ("string",):
        return ""
    if kt == "bytes":
        return b""
    if kt == "records":
        return None
    if kt == "bool":
        return False
    if kt == "uuid":
        return _ZERO_UUID
    if kt == "float64":
        return 0.0
    if kt in ("timedelta_i32", "timedelta_i64"):
        return datetime.timedelta(0)
    if kt == "datetime_i64":
        return _EPOCH
    return 0


def _convert(plan: _FieldPlan, value: object) -> object:
    if value is None:
        return None
    if plan.is_array:
        assert isinstance(value, list | tuple)
        if plan.nested is not None:
            return tuple(v if dataclasses.is_dataclass(v) else build(plan.nested, v) for v in value)
        return tuple(value)
    if plan.nested is not None:
        if dataclasses.is_dataclass(value):
            return value
        assert isinstance(value, Mapping)
        return build(plan.nested, value)
    kt = plan.kafka_type
    if kt == "error_code":
        return KioErrorCode(int(value))  # type: ignore[call-overload]
    if kt in ("timedelta_i32", "timedelta_i64") and isinstance(value, int):
        return datetime.timedelta(milliseconds=value)
    if kt == "datetime_i64" and isinstance(value, int):
        return datetime.datetime.fromtimestamp(value / 1000, datetime.UTC)
    if kt == "uuid" and isinstance(value, str):
        return uuid.UUID(value)
    return value


def build(cls: type[T], data: Mapping[str, object]) -> T:
    """Instantiate kio class ``cls`` from ``data``; unknown keys are ignored, missing get zero."""
    kwargs: dict[str, object] = {}
    for plan in _plan(cast(Any, cls)):
        if plan.name in data:
            kwargs[plan.name] = _convert(plan, data[plan.name])
        elif plan.required:
            kwargs[plan.name] = _zero(plan)
    return cls(**kwargs)


def error_response(cls: type[T], code: int) -> T:
    """A response of ``cls`` with every top-level ``error_code`` set to ``code``, else zeros."""
    data: dict[str, object] = {}
    for plan in _plan(cast(Any, cls)):
        if plan.kafka_type == "error_code":
            data[plan.name] = code
    return build(cls, data)


def get(entity: object, name: str, default: T) -> T:
    """A request field, or ``default`` when the negotiated version lacks it."""
    value = getattr(entity, name, default)
    return value


def millis(value: object) -> int:
    """Milliseconds of a kio timedelta/datetime field (or an int)."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1000)
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    assert isinstance(value, int)
    return value
