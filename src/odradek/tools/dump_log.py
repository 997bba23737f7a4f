"""``odradek dump-log``: decode segment files like kafka-dump-log.sh.

``.log`` → batch lines (see :mod:`odradek.tools.segment_dump`); ``.index`` → ``offset: N
position: P``; ``.timeindex`` → ``timestamp: T offset: O``; ``.txnindex`` → aborted
transactions. Index files may be preallocated, so listing stops at the first all-zero entry
after the first, as Kafka does. Offset index entries are checked against the ``.log`` next to
them; mismatches are reported on stderr.
"""

from __future__ import annotations

import argparse
import mmap
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from odradek.client.config import ClientError
from odradek.tools.options import ToolParser, run_tool
from odradek.tools.segment_dump import DumpOptions, dump_segment

OFFSET_ENTRY = struct.Struct(">ii")  # relative offset, position
TIME_ENTRY = struct.Struct(">qi")  # timestamp, relative offset
TXN_ENTRY = struct.Struct(">hqqqq")  # version, producerId, first, last, lastStableOffset
_LAST_OFFSET = struct.Struct(">qi")


def build_parser() -> argparse.ArgumentParser:
    p = ToolParser(prog="odradek dump-log", description="Decode log segment and index files.")
    p.add_argument(
        "--files",
        nargs="+",
        required=True,
        metavar="FILE",
        help="files to decode (space- or comma-separated)",
    )
    p.add_argument("--print-data-log", action="store_true", help="print keys and payloads")
    p.add_argument("--deep-iteration", action="store_true", help="print every record")
    p.add_argument(
        "--skip-record-metadata",
        action="store_true",
        help="with --print-data-log: print only payloads",
    )
    p.add_argument(
        "--verify-index-only",
        action="store_true",
        help="check index entries against the log without printing them",
    )
    return p


@contextmanager
def mapped(path: Path) -> Iterator[memoryview]:
    """A read-only view of the whole file (empty files give an empty view)."""
    with path.open("rb") as f:
        if path.stat().st_size == 0:
            yield memoryview(b"")
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            view = memoryview(m)
            try:
                yield view
            finally:
                view.release()


def base_offset_of(path: Path) -> int:
    stem = path.name.split(".")[0]
    try:
        return int(stem)
    except ValueError as exc:
        raise ClientError(f"{path}: file name is not a 20-digit base offset") from exc


def dump_offset_index(
    data: memoryview, base: int, log: memoryview | None, mismatches: list[str]
) -> Iterator[str]:
    """``offset: N position: P`` per entry; mismatching log positions go to ``mismatches``."""
    for i in range(len(data) // OFFSET_ENTRY.size):
        rel, position = OFFSET_ENTRY.unpack_from(data, i * OFFSET_ENTRY.size)
        if rel == 0 and i > 0:
            return
        offset = base + rel
        if log is not None and position + _LAST_OFFSET.size + 12 <= len(log):
            log_offset = _batch_last_offset(log, position)
            if log_offset != offset:
                mismatches.append(f"  Index offset: {offset}, log offset: {log_offset}")
        yield f"offset: {offset} position: {position}"


def _batch_last_offset(log: memoryview, position: int) -> int:
    base, _length = _LAST_OFFSET.unpack_from(log, position)
    if log[position + 16] != 2 or position + 27 > len(log):
        return int(base)
    delta = struct.unpack_from(">i", log, position + 23)[0]
    return int(base) + int(delta)


def dump_time_index(data: memoryview, base: int) -> Iterator[str]:
    for i in range(len(data) // TIME_ENTRY.size):
        ts, rel = TIME_ENTRY.unpack_from(data, i * TIME_ENTRY.size)
        if rel == 0 and i > 0:
            return
        yield f"timestamp: {ts} offset: {base + rel}"


def dump_txn_index(data: memoryview) -> Iterator[str]:
    for i in range(len(data) // TXN_ENTRY.size):
        version, pid, first, last, lso = TXN_ENTRY.unpack_from(data, i * TXN_ENTRY.size)
        yield (
            f"version: {version} producerId: {pid} firstOffset: {first} "
            f"lastOffset: {last} lastStableOffset: {lso}"
        )


def dump_file(path: Path, opts: DumpOptions, verify_only: bool) -> Iterator[str]:
    """Every output line for one file (``Dumping <path>`` first)."""
    if not path.is_file():
        raise ClientError(f"{path} does not exist")
    yield f"Dumping {path}"
    suffix = path.suffix
    with mapped(path) as data:
        if suffix == ".log":
            yield f"Log starting offset: {base_offset_of(path)}"
            yield from dump_segment(data, str(path), opts)
        elif suffix in (".index", ".timeindex"):
            yield from _dump_index(path, data, verify_only)
        elif suffix == ".txnindex":
            yield from dump_txn_index(data)
        else:
            yield f"Ignoring unknown file {path}"


def _dump_index(path: Path, data: memoryview, verify_only: bool) -> Iterator[str]:
    base = base_offset_of(path)
    if len(data) == 0:
        yield f"{path} is empty."
        return
    if path.suffix == ".timeindex":
        yield from dump_time_index(data, base)
        return
    log_path = path.with_suffix(".log")
    mismatches: list[str] = []
    if log_path.is_file():
        with mapped(log_path) as log:
            lines = list(dump_offset_index(data, base, log, mismatches))
    else:
        lines = list(dump_offset_index(data, base, None, mismatches))
    if not verify_only:
        yield from lines
    if mismatches:
        print(f"Mismatches in :{path}", file=sys.stderr)
        for m in mismatches:
            print(m, file=sys.stderr)


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    opts = DumpOptions(
        deep=args.deep_iteration or args.print_data_log,
        print_data=args.print_data_log,
        skip_record_metadata=args.skip_record_metadata,
    )
    files = [Path(f) for item in args.files for f in item.split(",") if f]
    out = sys.stdout
    for path in files:
        for line in dump_file(path, opts, args.verify_index_only):
            out.write(line + "\n")
    out.flush()
    return 0


def main(argv: list[str]) -> int:
    return run_tool(lambda: _run(argv))
