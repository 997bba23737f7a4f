"""Znode path validation, as ZooKeeper's PathUtils: absolute, no empty/'.'/'..' segments, no
trailing slash, no control or reserved characters."""

from __future__ import annotations

import re

from odradek.zk.codes import Err, KeeperError


def _bad_char(c: str) -> bool:
    o = ord(c)
    return (
        o == 0
        or 0x01 <= o <= 0x1F
        or 0x7F <= o <= 0x9F
        or 0xD800 <= o <= 0xF8FF
        or 0xFFF0 <= o <= 0xFFFF
    )


_SIMPLE = re.compile(r"(?:/[0-9A-Za-z_\-:@%+,=~#$!&*'()\[\]{}<>?^`|;\"]+)+")


def validate(path: str, sequential: bool = False) -> None:
    if sequential:
        path += "1"
    if _SIMPLE.fullmatch(path):  # common case: printable ASCII without dots
        return
    if not path or path[0] != "/":
        raise KeeperError(Err.BADARGUMENTS, f"path must start with /: {path!r}")
    if path == "/":
        return
    if path.endswith("/"):
        raise KeeperError(Err.BADARGUMENTS, f"path must not end with /: {path!r}")
    for segment in path[1:].split("/"):
        if segment in ("", ".", ".."):
            raise KeeperError(Err.BADARGUMENTS, f"invalid path segment in {path!r}")
    if (not path.isascii() or any(c < " " or c == "\x7f" for c in path)) and any(
        _bad_char(c) for c in path
    ):
        raise KeeperError(Err.BADARGUMENTS, f"invalid character in {path!r}")
