"""Helpers for the protocol property tests: build kio entities from plain test data."""

from __future__ import annotations

import dataclasses
import datetime
import importlib
from types import ModuleType

from kio.schema.errors import ErrorCode as KioErrorCode
from kio.static.primitive import i32Timedelta

from odradek.protocol import kio_codec

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def req_module(api_key: int, version: int) -> ModuleType:
    return importlib.import_module(kio_codec.request_class(api_key, version).__module__)


def resp_module(api_key: int, version: int) -> ModuleType:
    return importlib.import_module(kio_codec.response_class(api_key, version).__module__)


def ms(value: int) -> i32Timedelta:
    return i32Timedelta.parse(datetime.timedelta(milliseconds=value))


def ts(value: int) -> datetime.datetime | None:
    return None if value == -1 else EPOCH + datetime.timedelta(milliseconds=value)


def err(code: int) -> KioErrorCode:
    return KioErrorCode(code)


def make(cls: type, **kw: object) -> object:
    """Instantiate a kio class with the keyword arguments that its version has."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in kw.items() if k in names})
