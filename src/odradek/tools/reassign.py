"""``odradek reassign``: generate, execute, verify and cancel partition reassignments
(like kafka-reassign-partitions.sh), with Kafka's JSON formats::

    topics to move:  {"version": 1, "topics": [{"topic": "t"}]}
    reassignment:    {"version": 1, "partitions": [{"topic": "t", "partition": 0,
                                                    "replicas": [1, 2, 3]}]}

``--generate`` prints the current assignment and a balanced proposal over ``--broker-list``
(replicas of partition ``p`` start at broker ``p mod n``, leaders spread evenly);
``--execute`` sends AlterPartitionReassignments to the controller; ``--verify`` lists the
reassignments still in progress and compares the replica sets; ``--cancel`` cancels them.

``--execute --throttle B`` bounds the replication traffic of the move to ``B`` bytes/s, as Kafka's
tool does: every broker holding a replica of a moving partition gets
``leader.replication.throttled.rate`` and ``follower.replication.throttled.rate`` = ``B``, and each
moving topic gets ``leader.replication.throttled.replicas`` = the current replicas
(``partition:broker``) and ``follower.replication.throttled.replicas`` = the added ones. Once
``--verify`` finds every partition of the plan moved, it removes these configs again.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from odradek.client.admin import admin_client, wait_one
from odradek.client.config import ClientError
from odradek.protocol import kio_codec, shapes
from odradek.protocol.header import encode_request_header, response_header_flexible
from odradek.protocol.primitives import skip_tagged_fields
from odradek.tools.options import connection_config, run_tool, tool_parser

Plan = dict[tuple[str, int], list[int]]


def build_parser() -> argparse.ArgumentParser:
    p = tool_parser("reassign", "Move partition replicas between brokers.")
    for action in ("generate", "execute", "verify", "cancel"):
        p.add_argument(f"--{action}", action="store_true")
    p.add_argument("--topics-to-move-json-file", type=Path)
    p.add_argument("--topics", help="comma-separated topics to move (instead of the JSON file)")
    p.add_argument("--broker-list", help="comma-separated broker ids to spread replicas over")
    p.add_argument("--reassignment-json-file", type=Path)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--throttle", type=int, default=-1,
                   help="with --execute: replication bytes/s allowed for the move")  # fmt: skip
    return p


def main(argv: list[str]) -> int:
    return run_tool(lambda: _run(argv), prefix="Error: ")


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    actions = [a for a in ("generate", "execute", "verify", "cancel") if getattr(args, a)]
    if len(actions) != 1:
        raise ClientError("Command must include exactly one action: --generate, --execute, "
                          "--verify or --cancel")  # fmt: skip
    if actions[0] == "generate":
        return generate(args)
    if args.reassignment_json_file is None:
        raise ClientError(f"--reassignment-json-file is required with --{actions[0]}")
    plan = parse_plan(json.loads(args.reassignment_json_file.read_text()))
    if actions[0] == "execute":
        if args.throttle >= 0:
            set_throttles(args, plan)
        return execute(args, dict(plan.items()))
    if actions[0] == "cancel":
        return execute(args, dict.fromkeys(plan))
    return verify(args, plan)


# ---------------------------------------------------------------- plans


def parse_plan(doc: Any) -> Plan:
    try:
        return {
            (str(e["topic"]), int(e["partition"])): [int(r) for r in e["replicas"]]
            for e in doc["partitions"]
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ClientError(f"malformed reassignment JSON: {exc}") from None


def plan_json(plan: Plan) -> str:
    parts = [{"topic": t, "partition": p, "replicas": r} for (t, p), r in sorted(plan.items())]
    return json.dumps({"version": 1, "partitions": parts})


def balanced_plan(current: Plan, brokers: list[int]) -> Plan:
    """Keep each partition's replication factor; spread replicas round-robin over ``brokers``."""
    ordered = sorted(brokers)
    n = len(ordered)
    out: Plan = {}
    for i, ((topic, p), replicas) in enumerate(sorted(current.items())):
        rf = len(replicas)
        if rf > n:
            raise ClientError(f"{topic}-{p} has {rf} replicas but only {n} brokers were given")
        out[(topic, p)] = [ordered[(i + j) % n] for j in range(rf)]
    return out


def current_plan(args: argparse.Namespace, topics: list[str]) -> Plan:
    admin = admin_client(connection_config(args))
    md = admin.list_topics(timeout=args.timeout)
    out: Plan = {}
    for t in topics:
        meta = md.topics.get(t)
        if meta is None or meta.error is not None:
            raise ClientError(f"Topic {t} not found")
        for pid, pmeta in meta.partitions.items():
            out[(t, pid)] = list(pmeta.replicas)
    return out


def generate(args: argparse.Namespace) -> int:
    if args.topics_to_move_json_file is not None:
        doc = json.loads(args.topics_to_move_json_file.read_text())
        topics = [str(t["topic"]) for t in doc.get("topics", [])]
    elif args.topics:
        topics = [t for t in args.topics.split(",") if t]
    else:
        raise ClientError("--generate needs --topics-to-move-json-file or --topics")
    if not args.broker_list:
        raise ClientError("--generate needs --broker-list")
    brokers = [int(b) for b in args.broker_list.split(",") if b]
    current = current_plan(args, topics)
    print("Current partition replica assignment")
    print(plan_json(current))
    print()
    print("Proposed partition reassignment configuration")
    print(plan_json(balanced_plan(current, brokers)))
    return 0


# ---------------------------------------------------------------- requests to the controller


def controller_request(
    args: argparse.Namespace, api_key: int, version: int, body: dict[str, Any]
) -> Any:
    """Send one request to the controller (found with DescribeCluster); its decoded response."""
    admin = admin_client(connection_config(args))
    cluster = wait_one(admin.describe_cluster(), args.timeout)
    node = cluster.controller
    if node is None:
        raise ClientError("no controller is known")
    request = shapes.build(kio_codec.request_class(api_key, version), body)
    head = encode_request_header(api_key, version, 1, "odradek-tools")
    payload = head + kio_codec.encode_request(request)
    with socket.create_connection((node.host, node.port), timeout=args.timeout) as s:
        s.sendall(struct.pack(">i", len(payload)) + payload)
        (size,) = struct.unpack(">i", _recv(s, 4))
        frame = memoryview(_recv(s, size))
    off = 4
    if response_header_flexible(api_key, version):
        off = skip_tagged_fields(frame, off)
    return kio_codec.decode_response(api_key, version, frame, off)


def _recv(s: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ClientError("the controller closed the connection")
        out += chunk
    return bytes(out)


def execute(args: argparse.Namespace, plan: dict[tuple[str, int], list[int] | None]) -> int:
    topics: dict[str, list[dict[str, Any]]] = {}
    for (t, p), replicas in sorted(plan.items()):
        topics.setdefault(t, []).append({"partition_index": p, "replicas": replicas})
    body = {
        "timeout": int(args.timeout * 1000),
        "topics": [{"name": t, "partitions": ps} for t, ps in topics.items()],
    }
    resp = controller_request(args, 45, 0, body)
    if int(resp.error_code):
        raise ClientError(f"reassignment failed: error {int(resp.error_code)} {resp.error_message}")
    failed = 0
    for t in resp.responses:
        for p in t.partitions:
            if int(p.error_code):
                failed += 1
                print(f"Reassignment of {t.name}-{p.partition_index} failed: error "
                      f"{int(p.error_code)} {p.error_message or ''}")  # fmt: skip
    verb = "cancellation" if all(r is None for r in plan.values()) else "reassignment"
    print(f"Successfully started {verb} of {len(plan) - failed} partitions.")
    return 1 if failed else 0


def verify(args: argparse.Namespace, plan: Plan) -> int:
    resp = controller_request(args, 46, 0, {"timeout": int(args.timeout * 1000), "topics": None})
    ongoing = {(t.name, p.partition_index) for t in resp.topics for p in t.partitions}
    current = current_plan(args, sorted({t for t, _ in plan}))
    pending = 0
    print("Status of partition reassignment:")
    for tp, replicas in sorted(plan.items()):
        if tp in ongoing:
            state = "is still in progress"
        elif current.get(tp) == replicas:
            state = "is completed"
        else:
            state = f"has replicas {current.get(tp)} instead of {replicas}"
        pending += state != "is completed"
        print(f"Reassignment of partition {tp[0]}-{tp[1]} {state}.")
    if not pending:
        clear_throttles(args, sorted({t for t, _ in plan}))
    return 1 if pending else 0


# ---------------------------------------------------------------- throttles

LEADER_RATE = "leader.replication.throttled.rate"
FOLLOWER_RATE = "follower.replication.throttled.rate"
LEADER_REPLICAS = "leader.replication.throttled.replicas"
FOLLOWER_REPLICAS = "follower.replication.throttled.replicas"


def throttle_plan(current: Plan, proposed: Plan) -> tuple[dict[str, dict[str, str]], set[int]]:
    """Per moving topic its two throttled-replicas values, and the brokers of moving partitions."""
    lists: dict[str, tuple[list[str], list[str]]] = {}
    brokers: set[int] = set()
    for (topic, p), target in sorted(proposed.items()):
        cur = current.get((topic, p), [])
        if cur == target:
            continue
        leaders, followers = lists.setdefault(topic, ([], []))
        leaders += [f"{p}:{b}" for b in cur]
        followers += [f"{p}:{b}" for b in target if b not in cur]
        brokers |= set(cur) | set(target)
    configs = {
        t: {LEADER_REPLICAS: ",".join(ls), FOLLOWER_REPLICAS: ",".join(fs)}
        for t, (ls, fs) in lists.items()
    }
    return configs, brokers


def _alter(args: argparse.Namespace, resources: list[ConfigResource]) -> None:
    """IncrementalAlterConfigs, one resource at a time (each broker writes its own)."""
    admin = admin_client(connection_config(args))
    for r in resources:
        for fut in admin.incremental_alter_configs([r]).values():
            wait_one(fut, args.timeout)


def _ops(values: dict[str, str | None]) -> list[ConfigEntry]:
    def op(v: str | None) -> AlterConfigOpType:
        return AlterConfigOpType.SET if v is not None else AlterConfigOpType.DELETE

    return [ConfigEntry(k, v, incremental_operation=op(v)) for k, v in values.items()]


def set_throttles(args: argparse.Namespace, plan: Plan) -> None:
    current = current_plan(args, sorted({t for t, _ in plan}))
    topics, brokers = throttle_plan(current, plan)
    rate = str(args.throttle)
    resources = [
        ConfigResource(ResourceType.BROKER, str(b), incremental_configs=_ops(
            {LEADER_RATE: rate, FOLLOWER_RATE: rate}))
        for b in sorted(brokers)
    ]  # fmt: skip
    resources += [
        ConfigResource(ResourceType.TOPIC, t, incremental_configs=_ops(dict(values)))
        for t, values in sorted(topics.items())
    ]
    _alter(args, resources)
    print("Warning: You must run --verify periodically, until the reassignment completes, "
          "to ensure the throttle is removed.")  # fmt: skip
    print(f"The inter-broker throttle limit was set to {args.throttle} B/s")


def clear_throttles(args: argparse.Namespace, topics: list[str]) -> None:
    admin = admin_client(connection_config(args))
    brokers = sorted(n.id for n in wait_one(admin.describe_cluster(), args.timeout).nodes)
    gone: dict[str, str | None] = {LEADER_RATE: None, FOLLOWER_RATE: None}
    resources = [
        ConfigResource(ResourceType.BROKER, str(b), incremental_configs=_ops(gone)) for b in brokers
    ]
    unset: dict[str, str | None] = {LEADER_REPLICAS: None, FOLLOWER_REPLICAS: None}
    resources += [
        ConfigResource(ResourceType.TOPIC, t, incremental_configs=_ops(unset)) for t in topics
    ]
    _alter(args, resources)
    print(f"Clearing broker-level throttles on brokers {','.join(map(str, brokers))}")
    print(f"Clearing topic-level throttles on topic(s) {','.join(topics)}")
