"""``odradek transactions``: list, describe and abort transactions (Kafka's kafka-transactions.sh).

Subcommands:

* ``list`` — ListTransactions: transactional id, coordinator, producer id, state
  (``--state`` filters).
* ``describe --transactional-id ID`` — DescribeTransactions: producer, epoch, timeout, start
  time, partitions.
* ``describe-producers --topic T --partition P`` — DescribeProducers: active producers of a
  partition with the start offset of their open transaction.
* ``find-hanging --topic T --partition P [--max-transaction-timeout MS]`` — producers whose
  transaction has been open longer than the timeout (default 15 minutes), by last timestamp.
* ``abort --topic T --partition P --start-offset O`` — writes an ABORT marker for the
  producer whose open transaction starts at ``O`` (WriteTxnMarkers with its producer id,
  epoch and coordinator epoch), closing a hanging transaction; or give
  ``--producer-id/--producer-epoch/--coordinator-epoch`` directly.

Talks to the broker over the wire only (the first ``--bootstrap-server``; a single broker
leads every partition and coordinates every transactional id).
"""

from __future__ import annotations

import argparse
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from odradek.client.config import ClientError
from odradek.protocol import header, kio_codec, shapes
from odradek.tools.options import run_tool, tool_parser

CLIENT_ID = "odradek-transactions"


def _address(bootstrap: str | None) -> tuple[str, int]:
    if not bootstrap:
        raise ClientError("--bootstrap-server is required")
    first = bootstrap.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    return host or "127.0.0.1", int(port)


def call(address: tuple[str, int], api_key: int, version: int, data: dict[str, Any]) -> Any:
    """One request/response on a fresh connection; returns the decoded kio response."""
    body = call_raw(address, api_key, version, data)
    return kio_codec.decode_response(api_key, version, body, 0)


def call_raw(address: tuple[str, int], api_key: int, version: int, data: dict[str, Any]) -> bytes:
    """One request/response; returns the response body after its header."""
    request = shapes.build(kio_codec.request_class(api_key, version), data)
    frame = header.encode_request_header(api_key, version, 1, CLIENT_ID)
    frame += kio_codec.encode_request(request)
    try:
        with socket.create_connection(address, 10) as sock:
            sock.sendall(struct.pack(">i", len(frame)) + frame)
            (size,) = struct.unpack(">i", _read_exact(sock, 4))
            body = _read_exact(sock, size)
    except OSError as exc:
        raise ClientError(f"cannot reach {address[0]}:{address[1]}: {exc}") from exc
    flexible = header.response_header_flexible(api_key, version)
    _corr, off = header.decode_response_header(memoryview(body), flexible)
    return body[off:]


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ClientError("connection closed by the broker")
        data += chunk
    return bytes(data)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _check(code: object, what: str) -> None:
    if int(code) != 0:  # type: ignore[call-overload]
        raise ClientError(f"{what}: error {getattr(code, 'name', code)}")


def cmd_list(addr: tuple[str, int], args: argparse.Namespace) -> list[str]:
    r = call(addr, 66, 1, {"state_filters": args.state or [], "producer_id_filters": []})
    _check(r.error_code, "ListTransactions")
    rows = [["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]]
    for t in sorted(r.transaction_states, key=lambda t: t.transactional_id):
        rows.append([t.transactional_id, "0", str(t.producer_id), t.transaction_state])
    return _table(rows)


@dataclass(frozen=True, slots=True)
class DescribedTxn:
    error_code: int
    transactional_id: str
    state: str
    timeout_ms: int
    start_ms: int  # -1: no transaction open
    producer_id: int
    producer_epoch: int
    partitions: list[str]


class _Cursor:
    """Reads the flexible (compact) encoding of DescribeTransactions v0 by hand: kio refuses
    the -1 start time Kafka sends when no transaction is open."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def take(self, fmt: str) -> int:
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(v)

    def uvarint(self) -> int:
        value = shift = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def string(self) -> str:
        n = self.uvarint() - 1
        out = self.data[self.pos : self.pos + max(n, 0)].decode()
        self.pos += max(n, 0)
        return out

    def skip_tags(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()


def describe_transactions(addr: tuple[str, int], txn_ids: list[str]) -> list[DescribedTxn]:
    body = call_raw(addr, 65, 0, {"transactional_ids": txn_ids})
    c = _Cursor(body, 0)
    c.take(">i")  # throttle time
    out = []
    for _ in range(c.uvarint() - 1):
        code = c.take(">h")
        txn_id, state = c.string(), c.string()
        timeout, start, pid, epoch = c.take(">i"), c.take(">q"), c.take(">q"), c.take(">h")
        parts = []
        for _t in range(c.uvarint() - 1):
            topic = c.string()
            parts += [f"{topic}-{c.take('>i')}" for _p in range(c.uvarint() - 1)]
            c.skip_tags()
        c.skip_tags()
        out.append(DescribedTxn(code, txn_id, state, timeout, start, pid, epoch, parts))
    return out


def cmd_describe(addr: tuple[str, int], args: argparse.Namespace) -> list[str]:
    s = describe_transactions(addr, [args.transactional_id])[0]
    if s.error_code:
        raise ClientError(f"transactional id {args.transactional_id}: error {s.error_code}")
    rows = [
        ["CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
         "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TopicPartitions"],
        ["0", s.transactional_id, str(s.producer_id), str(s.producer_epoch), s.state,
         str(s.timeout_ms), str(s.start_ms), ",".join(s.partitions)],
    ]  # fmt: skip
    return _table(rows)


def _producers(addr: tuple[str, int], topic: str, partition: int) -> list[Any]:
    r = call(addr, 61, 0, {"topics": [{"name": topic, "partition_indexes": [partition]}]})
    p = r.topics[0].partitions[0]
    _check(p.error_code, f"{topic}-{partition}")
    return list(p.active_producers)


def cmd_describe_producers(addr: tuple[str, int], args: argparse.Namespace) -> list[str]:
    rows = [["ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence",
             "LastTimestamp", "CurrentTransactionStartOffset"]]  # fmt: skip
    for p in _producers(addr, args.topic, args.partition):
        rows.append([str(p.producer_id), str(p.producer_epoch), str(p.coordinator_epoch),
                     str(p.last_sequence), str(p.last_timestamp),
                     str(p.current_txn_start_offset)])  # fmt: skip
    return _table(rows)


def cmd_find_hanging(addr: tuple[str, int], args: argparse.Namespace) -> list[str]:
    now = int(time.time() * 1000)
    rows = [["Topic", "Partition", "ProducerId", "ProducerEpoch", "StartOffset",
             "LastTimestamp", "Duration(min)"]]  # fmt: skip
    for p in _producers(addr, args.topic, args.partition):
        open_ms = now - int(p.last_timestamp)
        if p.current_txn_start_offset >= 0 and open_ms > args.max_transaction_timeout:
            rows.append([args.topic, str(args.partition), str(p.producer_id),
                         str(p.producer_epoch), str(p.current_txn_start_offset),
                         str(p.last_timestamp), str(open_ms // 60000)])  # fmt: skip
    return _table(rows)


def cmd_abort(addr: tuple[str, int], args: argparse.Namespace) -> list[str]:
    if args.start_offset is not None:
        found = [
            p
            for p in _producers(addr, args.topic, args.partition)
            if p.current_txn_start_offset == args.start_offset
        ]
        if not found:
            raise ClientError(
                f"no open transaction starts at offset {args.start_offset} "
                f"of {args.topic}-{args.partition}"
            )
        pid, epoch, coord = (
            found[0].producer_id,
            found[0].producer_epoch,
            found[0].coordinator_epoch,
        )
    elif args.producer_id is not None and args.producer_epoch is not None:
        pid, epoch, coord = args.producer_id, args.producer_epoch, args.coordinator_epoch
    else:
        raise ClientError("give --start-offset, or --producer-id and --producer-epoch")
    marker = {
        "producer_id": pid,
        "producer_epoch": epoch,
        "transaction_result": False,
        "coordinator_epoch": max(coord, 0),
        "topics": [{"name": args.topic, "partition_indexes": [args.partition]}],
    }
    r = call(addr, 27, 1, {"markers": [marker]})
    _check(r.markers[0].topics[0].partitions[0].error_code, "WriteTxnMarkers")
    return [f"Aborted the transaction of producer {pid} on {args.topic}-{args.partition}"]


def _parser() -> argparse.ArgumentParser:
    parser = tool_parser("transactions", "List, describe and abort transactions.")
    sub = parser.add_subparsers(dest="command", required=True)
    lst = sub.add_parser("list", help="list transactional ids")
    lst.add_argument("--state", action="append", help="only ids in this state (repeatable)")
    desc = sub.add_parser("describe", help="describe a transactional id")
    desc.add_argument("--transactional-id", required=True)
    for name in ("describe-producers", "find-hanging", "abort"):
        p = sub.add_parser(name)
        p.add_argument("--topic", required=True)
        p.add_argument("--partition", type=int, required=True)
        if name == "find-hanging":
            p.add_argument("--max-transaction-timeout", type=int, default=900_000)
        if name == "abort":
            p.add_argument("--start-offset", type=int)
            p.add_argument("--producer-id", type=int)
            p.add_argument("--producer-epoch", type=int)
            p.add_argument("--coordinator-epoch", type=int, default=0)
    return parser


COMMANDS = {
    "list": cmd_list,
    "describe": cmd_describe,
    "describe-producers": cmd_describe_producers,
    "find-hanging": cmd_find_hanging,
    "abort": cmd_abort,
}


def main(argv: Sequence[str] | None = None) -> int:
    def body() -> int:
        args = _parser().parse_args(list(argv) if argv is not None else None)
        for line in COMMANDS[args.command](_address(args.bootstrap_server), args):
            print(line)
        return 0

    return run_tool(body)
