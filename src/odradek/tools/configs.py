"""``odradek configs``: describe and incrementally alter topic and broker configs.

Modelled on kafka-configs.sh: ``--describe`` prints the dynamic configs (all of them with
``--all``) as ``name=value sensitive=... synonyms={SOURCE:name=value, ...}``; ``--alter`` sends
one IncrementalAlterConfigs request with SET for ``--add-config`` and DELETE for
``--delete-config``.
"""

from __future__ import annotations

import argparse
from typing import Any

from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
)

from odradek.client.admin import admin_client, error_message, wait_all
from odradek.client.config import ClientError, parse_pairs, split_pairs
from odradek.tools.options import connection_config, run_tool, tool_parser

ENTITY_TYPES = {"topics": ConfigResource.Type.TOPIC, "brokers": ConfigResource.Type.BROKER}


def build_parser() -> argparse.ArgumentParser:
    p = tool_parser("configs", "Describe and alter topic and broker configs.")
    p.add_argument("--describe", action="store_true", help="list configs for the entity")
    p.add_argument("--alter", action="store_true", help="change configs of the entity")
    p.add_argument("--entity-type", choices=sorted(ENTITY_TYPES), help="topics or brokers")
    p.add_argument("--entity-name", help="topic name or broker id")
    p.add_argument("--entity-default", action="store_true", help="cluster-wide broker default")
    p.add_argument("--topic", help="shorthand for --entity-type topics --entity-name T")
    p.add_argument("--broker", help="shorthand for --entity-type brokers --entity-name B")
    p.add_argument("--all", action="store_true", help="with --describe: include every config")
    p.add_argument("--add-config", action="append", default=[], metavar="K=V,K2=V2")
    p.add_argument("--delete-config", action="append", default=[], metavar="K,K2")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait (default 30)")
    return p


def main(argv: list[str]) -> int:
    return run_tool(lambda: _run(argv), prefix="Error while executing config command : ")


def _entity(args: argparse.Namespace) -> tuple[str, str | None]:
    if args.topic:
        return "topics", args.topic
    if args.broker:
        return "brokers", args.broker
    if not args.entity_type:
        raise ClientError("--entity-type must be specified")
    if args.entity_default:
        if args.entity_type != "brokers":
            raise ClientError("--entity-default is only supported with --entity-type brokers")
        return "brokers", ""
    return args.entity_type, args.entity_name


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.describe == args.alter:
        raise ClientError("Command must include exactly one action: --describe, --alter")
    kind, name = _entity(args)
    admin = admin_client(connection_config(args))
    if args.alter:
        if name is None:
            raise ClientError("an entity name must be specified with --alter")
        return alter(admin, kind, name, args)
    names = [name] if name is not None else _all_names(admin, kind, args.timeout)
    for entity in names:
        describe(admin, kind, entity, args.all, args.timeout)
    return 0


def _all_names(admin: AdminClient, kind: str, timeout: float) -> list[str]:
    try:
        md = admin.list_topics(timeout=timeout)
    except Exception as exc:
        raise ClientError(error_message(exc)) from exc
    if kind == "topics":
        return sorted(md.topics)
    return [str(b) for b in sorted(md.brokers)]


def _label(kind: str, name: str) -> str:
    if kind == "brokers" and name == "":
        return "brokers in the cluster"
    return f"{kind[:-1]} {name}"


def _wanted_source(kind: str, name: str) -> Any:
    if kind == "topics":
        return ConfigSource.DYNAMIC_TOPIC_CONFIG
    return (
        ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG
        if name == ""
        else (ConfigSource.DYNAMIC_BROKER_CONFIG)
    )


def source_of(entry: ConfigEntry) -> Any:
    """The entry's ConfigSource (confluent-kafka reports some as plain ints)."""
    try:
        return ConfigSource(entry.source)
    except ValueError:
        return ConfigSource.UNKNOWN_CONFIG


def format_entry(entry: ConfigEntry) -> str:
    """``name=value sensitive=false synonyms={SOURCE:name=value, ...}`` as kafka-configs prints."""
    value = "null" if entry.is_sensitive or entry.value is None else entry.value
    synonyms = []
    for syn in (entry.synonyms or {}).values():
        syn_value = "null" if entry.is_sensitive or syn.value is None else syn.value
        synonyms.append(f"{source_of(syn).name}:{syn.name}={syn_value}")
    sensitive = "true" if entry.is_sensitive else "false"
    return f"{entry.name}={value} sensitive={sensitive} synonyms={{{', '.join(synonyms)}}}"


def describe(admin: AdminClient, kind: str, name: str, everything: bool, timeout: float) -> None:
    resource = ConfigResource(ENTITY_TYPES[kind], name)
    try:
        futures = admin.describe_configs([resource], request_timeout=timeout)
    except ValueError as exc:
        raise ClientError(f"cannot describe {_label(kind, name)}: {exc}") from exc
    result = wait_all(futures, timeout)
    entries = next(iter(result.values()))
    if isinstance(entries, BaseException):
        raise ClientError(error_message(entries))
    wanted = _wanted_source(kind, name)
    shown = sorted(
        (e for e in entries.values() if everything or source_of(e) == wanted), key=lambda e: e.name
    )
    if kind == "brokers" and name == "":
        head = "All" if everything else "Default"
        print(f"{head} configs for brokers in the cluster are:")
    else:
        head = "All" if everything else "Dynamic"
        print(f"{head} configs for {_label(kind, name)} are:")
    for entry in shown:
        print(f"  {format_entry(entry)}")


def alter_entries(add: list[str], delete: list[str]) -> list[ConfigEntry]:
    """SET entries for ``--add-config`` (``k=v,k2=[a,b]``), DELETE for ``--delete-config``."""
    to_set = parse_pairs(add, split_commas=True)
    to_delete = [k.strip() for item in delete for k in split_pairs(item)]
    both = sorted(set(to_set) & set(to_delete))
    if both:
        raise ClientError(f"Invalid config(s): {','.join(both)} both added and deleted")
    entries = [
        ConfigEntry(
            k,
            v.strip("[]") if v.startswith("[") else v,
            incremental_operation=AlterConfigOpType.SET,
        )
        for k, v in to_set.items()
    ]
    entries += [
        ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in to_delete
    ]
    if not entries:
        raise ClientError("--alter needs --add-config and/or --delete-config")
    return entries


def alter(admin: AdminClient, kind: str, name: str, args: argparse.Namespace) -> int:
    entries = alter_entries(args.add_config, args.delete_config)
    resource = ConfigResource(ENTITY_TYPES[kind], name, incremental_configs=entries)
    try:
        futures = admin.incremental_alter_configs([resource], request_timeout=args.timeout)
    except ValueError as exc:
        raise ClientError(f"cannot alter {_label(kind, name)}: {exc}") from exc
    outcome = next(iter(wait_all(futures, args.timeout).values()))
    if isinstance(outcome, BaseException):
        raise ClientError(error_message(outcome))
    if kind == "brokers" and name == "":
        print("Completed updating default config for brokers in the cluster.")
    else:
        print(f"Completed updating config for {_label(kind, name)}.")
    return 0
