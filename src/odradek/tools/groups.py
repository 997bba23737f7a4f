"""``odradek groups``: list, describe, reset offsets, delete groups and offsets.

Modelled on ``kafka-consumer-groups.sh``. Everything goes over the wire through confluent-kafka's
AdminClient, except ``--delete-offsets`` (OffsetDelete, which confluent-kafka does not expose):
that one request is sent to the group's coordinator with odradek's protocol codec.

Offset resets (``--to-earliest|--to-latest|--to-datetime|--to-offset|--shift-by|--to-current``)
only apply to inactive groups; without ``--execute`` they are a dry run that prints the plan.
"""

from __future__ import annotations

import argparse
import datetime
import socket
import struct
from collections.abc import Sequence
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from odradek.client.admin import admin_client, error_message, wait_all, wait_one
from odradek.client.config import ClientError
from odradek.protocol import header, kio_codec, shapes
from odradek.tools.options import connection_config, run_tool, tool_parser

ACTIONS = ("list", "describe", "reset_offsets", "delete", "delete_offsets")
RESETS = ("to_earliest", "to_latest", "to_datetime", "to_offset", "shift_by", "to_current")
INACTIVE = {"EMPTY", "DEAD", "UNKNOWN"}
_LATEST: Any = OffsetSpec.latest()  # type: ignore[no-untyped-call]
_EARLIEST: Any = OffsetSpec.earliest()  # type: ignore[no-untyped-call]


def build_parser() -> argparse.ArgumentParser:
    p = tool_parser("groups", "List, describe, reset and delete consumer groups.")
    p.add_argument("--list", action="store_true", help="list the groups")
    p.add_argument("--describe", action="store_true", help="describe groups")
    p.add_argument("--reset-offsets", action="store_true", help="reset committed offsets")
    p.add_argument("--delete", action="store_true", help="delete groups")
    p.add_argument("--delete-offsets", action="store_true", help="delete committed offsets")
    p.add_argument("--group", action="append", default=[], help="group id (repeatable)")
    p.add_argument("--all-groups", action="store_true", help="every group")
    p.add_argument("--topic", action="append", default=[], help="TOPIC or TOPIC:P1,P2")
    p.add_argument("--all-topics", action="store_true", help="every topic the group committed")
    p.add_argument("--members", action="store_true", help="describe: members")
    p.add_argument("--verbose", action="store_true", help="describe --members: assignments")
    p.add_argument("--offsets", action="store_true", help="describe: offsets and lag (default)")
    p.add_argument(
        "--state", nargs="?", const="", default=None, help="describe: state; list: filter"
    )
    p.add_argument("--to-earliest", action="store_true")
    p.add_argument("--to-latest", action="store_true")
    p.add_argument("--to-current", action="store_true")
    p.add_argument("--to-datetime", metavar="YYYY-MM-DDTHH:mm:SS.sss")
    p.add_argument("--to-offset", type=int)
    p.add_argument("--shift-by", type=int)
    p.add_argument("--dry-run", action="store_true", help="show the new offsets (default)")
    p.add_argument("--execute", action="store_true", help="commit the new offsets")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    return p


def main(argv: list[str]) -> int:
    return run_tool(lambda: _run(argv))


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    chosen = [a for a in ACTIONS if getattr(args, a)]
    if len(chosen) != 1:
        raise ClientError(
            "Command must include exactly one action: --list, --describe, --delete, "
            "--reset-offsets, --delete-offsets"
        )
    admin = admin_client(connection_config(args))
    if chosen[0] == "list":
        return list_groups(admin, args)
    groups = _groups(admin, args)
    handler = {
        "describe": describe,
        "reset_offsets": reset_offsets,
        "delete": delete,
        "delete_offsets": delete_offsets,
    }[chosen[0]]
    return handler(admin, args, groups)


def _groups(admin: AdminClient, args: argparse.Namespace) -> list[str]:
    if args.all_groups:
        return sorted(g.group_id for g in _listings(admin, args.timeout))
    if not args.group:
        raise ClientError("Option --group (or --all-groups) is required")
    return list(args.group)


def _listings(admin: AdminClient, timeout: float) -> list[Any]:
    result = wait_one(admin.list_consumer_groups(request_timeout=timeout), timeout)
    return list(result.valid)


def _state_name(state: Any) -> str:
    return str(getattr(state, "name", state)).upper()


def _table(rows: Sequence[Sequence[object]]) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print(" ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def list_groups(admin: AdminClient, args: argparse.Namespace) -> int:
    listings = _listings(admin, args.timeout)
    if args.state is None:
        for g in sorted(listings, key=lambda g: g.group_id):
            print(g.group_id)
        return 0
    wanted = {s.strip().upper() for s in args.state.split(",") if s.strip()}
    rows: list[list[object]] = [["GROUP", "STATE"]]
    for g in sorted(listings, key=lambda g: g.group_id):
        state = _state_name(g.state)
        if not wanted or state.replace("_", "") in {w.replace("_", "") for w in wanted}:
            rows.append([g.group_id, _title(state)])
    _table(rows)
    return 0


def _title(state: str) -> str:
    return "".join(part.capitalize() for part in state.split("_"))


# ----------------------------------------------------------------------------- describe


def _describe_one(admin: AdminClient, group: str, timeout: float) -> Any:
    futures = admin.describe_consumer_groups([group], request_timeout=timeout)
    return wait_one(futures[group], timeout)


def _committed(admin: AdminClient, group: str, timeout: float) -> dict[tuple[str, int], int]:
    futures = admin.list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group)], request_timeout=timeout
    )
    result = wait_one(futures[group], timeout)
    return {
        (tp.topic, tp.partition): tp.offset
        for tp in result.topic_partitions
        if tp.offset >= 0 and tp.error is None
    }


def _list_offsets(
    admin: AdminClient, parts: Sequence[tuple[str, int]], spec: Any, timeout: float
) -> dict[tuple[str, int], int]:
    if not parts:
        return {}
    request = {TopicPartition(t, p): spec for t, p in parts}
    result = wait_all(admin.list_offsets(request, request_timeout=timeout), timeout)
    out = {}
    for tp, info in result.items():
        if isinstance(info, BaseException):
            raise ClientError(f"{tp.topic}-{tp.partition}: {error_message(info)}")
        out[(tp.topic, tp.partition)] = info.offset
    return out


def describe(admin: AdminClient, args: argparse.Namespace, groups: list[str]) -> int:
    for group in groups:
        desc = _describe_one(admin, group, args.timeout)
        state = _state_name(desc.state)
        if args.state is not None:
            node = desc.coordinator
            coord = f"{node.host}:{node.port} ({node.id})" if node is not None else "-"
            _table(
                [
                    ["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"],
                    [group, coord, desc.partition_assignor or "", _title(state), len(desc.members)],
                ]
            )
        elif args.members:
            _describe_members(group, desc, args.verbose)
        else:
            _describe_offsets(admin, group, desc, args.timeout)
        print()
    return 0


def _assigned(member: Any) -> list[tuple[str, int]]:
    if member.assignment is None:
        return []
    return sorted((tp.topic, tp.partition) for tp in member.assignment.topic_partitions)


def _describe_members(group: str, desc: Any, verbose: bool) -> None:
    if not desc.members:
        print(f"Consumer group '{group}' has no active members.")
        return
    head: list[object] = ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]
    rows: list[list[object]] = [head + (["ASSIGNMENT"] if verbose else [])]
    for m in desc.members:
        parts = _assigned(m)
        row: list[object] = [group, m.member_id, m.host, m.client_id, len(parts)]
        if verbose:
            by_topic: dict[str, list[int]] = {}
            for t, p in parts:
                by_topic.setdefault(t, []).append(p)
            text = ",".join(f"{t}({','.join(map(str, ps))})" for t, ps in by_topic.items())
            row.append(text or "-")
        rows.append(row)
    _table(rows)


def _describe_offsets(admin: AdminClient, group: str, desc: Any, timeout: float) -> None:
    committed = _committed(admin, group, timeout)
    owner: dict[tuple[str, int], Any] = {}
    for m in desc.members:
        for tp in _assigned(m):
            owner[tp] = m
    parts = sorted(set(committed) | set(owner))
    ends = _list_offsets(admin, parts, _LATEST, timeout)
    if not desc.members:
        print(f"Consumer group '{group}' has no active members.")
    rows: list[list[object]] = [
        [
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-END-OFFSET",
            "LAG",
            "CONSUMER-ID",
            "HOST",
            "CLIENT-ID",
        ]
    ]
    for tp in parts:
        cur = committed.get(tp)
        end = ends.get(tp)
        lag = "-" if cur is None or end is None else max(end - cur, 0)
        m = owner.get(tp)
        rows.append(
            [
                group,
                tp[0],
                tp[1],
                "-" if cur is None else cur,
                "-" if end is None else end,
                lag,
                m.member_id if m else "-",
                m.host if m else "-",
                m.client_id if m else "-",
            ]
        )
    _table(rows)


# ----------------------------------------------------------------------------- reset


def _scope(
    admin: AdminClient, args: argparse.Namespace, committed: dict[tuple[str, int], int]
) -> list[tuple[str, int]]:
    if args.all_topics:
        return sorted(committed)
    if not args.topic:
        raise ClientError("One of the reset scopes should be defined: --all-topics, --topic.")
    metadata = admin.list_topics(timeout=args.timeout)
    out: list[tuple[str, int]] = []
    for item in args.topic:
        topic, _, parts = item.partition(":")
        if parts:
            out.extend((topic, int(p)) for p in parts.split(","))
            continue
        meta = metadata.topics.get(topic)
        if meta is None or meta.error is not None:
            raise ClientError(f"Topic '{topic}' does not exist")
        out.extend((topic, p) for p in sorted(meta.partitions))
    return sorted(set(out))


def _parse_datetime(text: str) -> int:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ClientError(f"Error parsing timestamp {text!r}: use YYYY-MM-DDTHH:mm:SS.sss") from exc
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return int(moment.timestamp() * 1000)


def plan_reset(
    admin: AdminClient, args: argparse.Namespace, group: str
) -> dict[tuple[str, int], int]:
    """The new offset of every partition in scope, clamped to the log's range."""
    committed = _committed(admin, group, args.timeout)
    parts = _scope(admin, args, committed)
    low = _list_offsets(admin, parts, _EARLIEST, args.timeout)
    high = _list_offsets(admin, parts, _LATEST, args.timeout)
    if args.to_datetime is not None:
        at = _list_offsets(
            admin, parts, OffsetSpec.for_timestamp(_parse_datetime(args.to_datetime)), args.timeout
        )
    plan = {}
    for tp in parts:
        current = committed.get(tp, low[tp])
        if args.to_earliest:
            new = low[tp]
        elif args.to_latest:
            new = high[tp]
        elif args.to_current:
            new = current
        elif args.to_offset is not None:
            new = args.to_offset
        elif args.shift_by is not None:
            new = current + args.shift_by
        else:
            new = at[tp] if at[tp] >= 0 else high[tp]
        plan[tp] = min(max(new, low[tp]), high[tp])
    return plan


def reset_offsets(admin: AdminClient, args: argparse.Namespace, groups: list[str]) -> int:
    if sum(1 for r in RESETS if getattr(args, r) not in (None, False)) != 1:
        raise ClientError(
            "Option --reset-offsets needs exactly one of --to-earliest, --to-latest, "
            "--to-datetime, --to-offset, --shift-by, --to-current"
        )
    if args.dry_run and args.execute:
        raise ClientError("Option --dry-run and --execute cannot be used together")
    rows: list[list[object]] = [["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]]
    for group in groups:
        state = _state_name(_describe_one(admin, group, args.timeout).state)
        if state not in INACTIVE:
            raise ClientError(
                f"Assignments can only be reset if the group '{group}' is inactive, "
                f"but the current state is {_title(state)}."
            )
        plan = plan_reset(admin, args, group)
        if args.execute and plan:
            request = ConsumerGroupTopicPartitions(
                group, [TopicPartition(t, p, o) for (t, p), o in sorted(plan.items())]
            )
            futures = admin.alter_consumer_group_offsets([request], request_timeout=args.timeout)
            result = wait_one(futures[group], args.timeout)
            failed = [tp for tp in result.topic_partitions if tp.error is not None]
            if failed:
                raise ClientError(f"Resetting offsets failed: {failed[0].error}")
        rows.extend([group, t, p, o] for (t, p), o in sorted(plan.items()))
    if not args.execute:
        print(
            "WARN: No action will be performed as the --execute option is missing. "
            "(--dry-run is the default)"
        )
    _table(rows)
    return 0


# ----------------------------------------------------------------------------- delete


def delete(admin: AdminClient, args: argparse.Namespace, groups: list[str]) -> int:
    results = wait_all(
        admin.delete_consumer_groups(groups, request_timeout=args.timeout), args.timeout
    )
    failed = {g: r for g, r in results.items() if isinstance(r, BaseException)}
    ok = [g for g in groups if g not in failed]
    if ok:
        names = ", ".join(f"'{g}'" for g in ok)
        print(f"Deletion of requested consumer groups ({names}) was successful.")
    if failed:
        print("Deletion of some consumer groups failed:")
        for g, exc in failed.items():
            print(f"* Group '{g}' could not be deleted due to: {error_message(exc)}")
        return 1
    return 0


def delete_offsets(admin: AdminClient, args: argparse.Namespace, groups: list[str]) -> int:
    if len(groups) != 1 or not args.topic:
        raise ClientError("Option --delete-offsets needs one --group and at least one --topic")
    group = groups[0]
    parts = _scope(admin, args, {})
    node = _describe_one(admin, group, args.timeout).coordinator
    if node is None:
        raise ClientError(f"No coordinator found for group '{group}'")
    top, results = offset_delete(node.host, node.port, group, parts, args.timeout)
    if top != 0:
        raise ClientError(f"Deleting offsets of group '{group}' failed with error code {top}")
    topics = ", ".join(sorted({t for t, _ in parts}))
    print(f"Request succeed for deleting offsets with topic {topics} group {group}")
    rows: list[list[object]] = [["TOPIC", "PARTITION", "STATUS"]]
    for (t, p), code in sorted(results.items()):
        rows.append([t, p, "Successful" if code == 0 else f"Error: code {code}"])
    _table(rows)
    return 0 if all(c == 0 for c in results.values()) else 1


def offset_delete(
    host: str, port: int, group: str, parts: list[tuple[str, int]], timeout: float
) -> tuple[int, dict[tuple[str, int], int]]:
    """Send OffsetDelete v0 to the coordinator; (error code, {partition: error code})."""
    by_topic: dict[str, list[int]] = {}
    for t, p in parts:
        by_topic.setdefault(t, []).append(p)
    request = shapes.build(
        kio_codec.request_class(47, 0),
        {
            "group_id": group,
            "topics": [
                {"name": t, "partitions": [{"partition_index": p} for p in ps]}
                for t, ps in by_topic.items()
            ],
        },
    )
    frame = header.encode_request_header(47, 0, 1, "odradek-groups")
    frame += kio_codec.encode_request(request)
    with socket.create_connection((host, port), timeout) as sock:
        sock.sendall(struct.pack(">i", len(frame)) + frame)
        body = _read_frame(sock)
    _corr, off = header.decode_response_header(memoryview(body), False)
    response = kio_codec.decode_response(47, 0, body, off)
    results = {
        (t.name, p.partition_index): int(p.error_code)
        for t in response.topics
        for p in t.partitions
    }
    return int(response.error_code), results


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ClientError("connection closed by the coordinator")
        data += chunk
    return bytes(data)


def _read_frame(sock: socket.socket) -> bytes:
    (size,) = struct.unpack(">i", _read_exact(sock, 4))
    return _read_exact(sock, size)
