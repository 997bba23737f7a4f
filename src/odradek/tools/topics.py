"""``odradek topics``: create, list, describe, alter and delete topics (like kafka-topics.sh).

``--topic`` is a regular expression for ``--list``, ``--describe``, ``--alter`` and ``--delete``,
matched against the whole name, as in Kafka's tool.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from confluent_kafka import TopicCollection
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic

from odradek.client.admin import admin_client, error_message, wait_all, wait_one
from odradek.client.config import ClientError, parse_pairs
from odradek.tools.options import connection_config, run_tool, tool_parser

INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})
ACTIONS = ("create", "list", "describe", "alter", "delete")


def build_parser() -> argparse.ArgumentParser:
    p = tool_parser("topics", "Create, list, describe, alter and delete topics.")
    for action in ACTIONS:
        p.add_argument(f"--{action}", action="store_true", help=f"{action} topics")
    p.add_argument("--topic", help="topic name (a regular expression except with --create)")
    p.add_argument("--partitions", type=int, help="number of partitions")
    p.add_argument("--replication-factor", type=int, help="replicas per partition")
    p.add_argument(
        "--replica-assignment",
        metavar="B1:B2,B1:B2,...",
        help="replica lists per partition (partitions by ',', brokers by ':'); with --alter it"
        " lists every partition, the existing ones first",
    )
    p.add_argument("--config", action="append", default=[], metavar="K=V", help="topic config")
    p.add_argument("--if-not-exists", action="store_true", help="create only if absent")
    p.add_argument("--if-exists", action="store_true", help="alter/delete/describe if present")
    p.add_argument("--exclude-internal", action="store_true", help="hide internal topics")
    p.add_argument("--under-replicated-partitions", action="store_true")
    p.add_argument("--unavailable-partitions", action="store_true")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    return p


def main(argv: list[str]) -> int:
    return run_tool(lambda: _run(argv), prefix="Error while executing topic command : ")


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    chosen = [a for a in ACTIONS if getattr(args, a)]
    if len(chosen) != 1:
        raise ClientError(
            "Command must include exactly one action: " + ", ".join(f"--{a}" for a in ACTIONS)
        )
    if chosen[0] in ("create", "alter", "delete") and not args.topic:
        raise ClientError(f"--topic is required with --{chosen[0]}")
    admin = admin_client(connection_config(args))
    handler = {
        "create": create,
        "list": list_topics,
        "describe": describe,
        "alter": alter,
        "delete": delete,
    }[chosen[0]]
    return handler(admin, args)


def parse_replica_assignment(text: str) -> list[list[int]]:
    """``1:2,2:3`` -> ``[[1, 2], [2, 3]]`` (kafka-topics' --replica-assignment format)."""
    try:
        lists = [[int(b) for b in part.split(":")] for part in text.split(",")]
    except ValueError:
        raise ClientError(f"invalid --replica-assignment {text!r}: expected B1:B2,B1:B2") from None
    for i, lst in enumerate(lists):
        if len(set(lst)) != len(lst):
            raise ClientError(f"partition {i}: duplicate broker in {lst}")
    return lists


def create(admin: AdminClient, args: argparse.Namespace) -> int:
    configs = parse_pairs(args.config)
    if args.replica_assignment:
        if args.partitions is not None or args.replication_factor is not None:
            raise ClientError(
                "--replica-assignment cannot be used with --partitions or --replication-factor"
            )
        lists = parse_replica_assignment(args.replica_assignment)
        new = NewTopic(
            args.topic, num_partitions=len(lists), replica_assignment=lists, config=configs
        )
    else:
        new = NewTopic(
            args.topic,
            num_partitions=args.partitions if args.partitions is not None else -1,
            replication_factor=(
                args.replication_factor if args.replication_factor is not None else -1
            ),
            config=configs,
        )
    result = wait_all(admin.create_topics([new], request_timeout=args.timeout), args.timeout)
    outcome = result[args.topic]
    if isinstance(outcome, BaseException):
        if args.if_not_exists and "already exists" in error_message(outcome).lower():
            return 0
        if "TOPIC_ALREADY_EXISTS" in repr(outcome):
            raise ClientError(f"Topic '{args.topic}' already exists.")
        raise ClientError(error_message(outcome))
    print(f"Created topic {args.topic}.")
    return 0


def matching_topics(admin: AdminClient, args: argparse.Namespace) -> list[str]:
    """Topic names in the cluster that match ``--topic`` (all when absent), sorted."""
    try:
        md = admin.list_topics(timeout=args.timeout)
    except Exception as exc:
        raise ClientError(error_message(exc)) from exc
    names = sorted(md.topics)
    if args.exclude_internal:
        names = [n for n in names if n not in INTERNAL_TOPICS]
    if args.topic:
        try:
            pattern = re.compile(args.topic)
        except re.error:
            pattern = re.compile(re.escape(args.topic))
        names = [n for n in names if pattern.fullmatch(n)]
    return names


def _require(names: Sequence[str], args: argparse.Namespace) -> bool:
    if names or not args.topic:
        return True
    if args.if_exists:
        return False
    raise ClientError(f"Topic '{args.topic}' does not exist as expected")


def list_topics(admin: AdminClient, args: argparse.Namespace) -> int:
    for name in matching_topics(admin, args):
        print(name)
    return 0


def describe(admin: AdminClient, args: argparse.Namespace) -> int:
    names = matching_topics(admin, args)
    if not _require(names, args) or not names:
        return 0
    descs = wait_all(
        admin.describe_topics(TopicCollection(names), request_timeout=args.timeout), args.timeout
    )
    configs = topic_configs(admin, names, args.timeout)
    failed = False
    for name in names:
        desc = descs.get(name)
        if isinstance(desc, BaseException) or desc is None:
            print(f"Error describing topic {name}: {error_message(desc or Exception('no reply'))}")
            failed = True
            continue
        for line in describe_lines(desc, configs.get(name, ""), args):
            print(line)
    return 1 if failed else 0


def topic_configs(admin: AdminClient, names: Sequence[str], timeout: float) -> dict[str, str]:
    """``k=v,...`` of the configs that are not defaults, per topic ('' when unavailable)."""
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in names]
    out: dict[str, str] = {}
    for res, entries in wait_all(admin.describe_configs(resources), timeout).items():
        if isinstance(entries, BaseException):
            continue
        items = [
            f"{e.name}={'' if e.value is None else e.value}"
            for e in entries.values()
            if not e.is_default and e.source not in (ConfigSource.DEFAULT_CONFIG, 5)
        ]
        out[res.name] = ",".join(items)
    return out


def _ids(nodes: Sequence[Any]) -> str:
    return ",".join(str(n.id) for n in nodes)


def describe_lines(desc: Any, configs: str, args: argparse.Namespace) -> list[str]:
    """Kafka's describe format: a topic line, then one tab-indented line per partition."""
    parts = sorted(desc.partitions, key=lambda p: p.id)
    rf = len(parts[0].replicas) if parts else 0
    lines: list[str] = []
    filtered = args.under_replicated_partitions or args.unavailable_partitions
    if not filtered:
        lines.append(
            f"Topic: {desc.name}\tTopicId: {desc.topic_id}\tPartitionCount: {len(parts)}\t"
            f"ReplicationFactor: {rf}\tConfigs: {configs}"
        )
    for p in parts:
        leader = "none" if p.leader is None or p.leader.id < 0 else str(p.leader.id)
        if args.unavailable_partitions and leader != "none":
            continue
        if args.under_replicated_partitions and len(p.isr) >= len(p.replicas):
            continue
        lines.append(
            f"\tTopic: {desc.name}\tPartition: {p.id}\tLeader: {leader}\t"
            f"Replicas: {_ids(p.replicas)}\tIsr: {_ids(p.isr)}"
        )
    return lines


def alter(admin: AdminClient, args: argparse.Namespace) -> int:
    if args.partitions is None:
        raise ClientError("--alter needs --partitions (use 'odradek configs' for configs)")
    names = matching_topics(admin, args)
    if not _require(names, args) or not names:
        return 0
    if args.replica_assignment:
        lists = parse_replica_assignment(args.replica_assignment)
        if len(lists) != args.partitions:
            raise ClientError(
                f"--replica-assignment lists {len(lists)} partitions, --partitions is "
                f"{args.partitions}"
            )
        md = admin.list_topics(timeout=args.timeout).topics
        new = [
            NewPartitions(n, args.partitions, replica_assignment=lists[len(md[n].partitions) :])
            for n in names
        ]
    else:
        new = [NewPartitions(n, args.partitions) for n in names]
    futures = admin.create_partitions(new, request_timeout=args.timeout)
    return _report(wait_all(futures, args.timeout))


def delete(admin: AdminClient, args: argparse.Namespace) -> int:
    names = [n for n in matching_topics(admin, args) if n not in INTERNAL_TOPICS]
    if not _require(names, args) or not names:
        return 0
    return _report(wait_all(admin.delete_topics(names, request_timeout=args.timeout), args.timeout))


def _report(results: dict[str, Any]) -> int:
    errors = [
        f"{name}: {error_message(r)}" for name, r in results.items() if isinstance(r, BaseException)
    ]
    if errors:
        raise ClientError("; ".join(errors))
    return 0


__all__ = ["main", "wait_one"]
