"""``odradek leader-election``: trigger preferred or unclean leader elections
(like kafka-leader-election.sh), through ElectLeaders on the controller.

Select partitions with ``--topic`` and ``--partition``, ``--path-to-json-file``
(``{"partitions": [{"topic": "t", "partition": 0}]}``) or ``--all-topic-partitions``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from odradek.client.config import ClientError
from odradek.tools.options import run_tool, tool_parser
from odradek.tools.reassign import controller_request

NOT_NEEDED = 84
TYPES = {"PREFERRED": 0, "UNCLEAN": 1}


def build_parser() -> argparse.ArgumentParser:
    p = tool_parser("leader-election", "Elect preferred or unclean partition leaders.")
    p.add_argument("--election-type", required=True, type=str.upper, choices=sorted(TYPES))
    p.add_argument("--topic")
    p.add_argument("--partition", type=int)
    p.add_argument("--path-to-json-file", type=Path)
    p.add_argument("--all-topic-partitions", action="store_true")
    p.add_argument("--timeout", type=float, default=30.0)
    return p


def main(argv: list[str]) -> int:
    return run_tool(lambda: _run(argv), prefix="Error: ")


def _selection(args: argparse.Namespace) -> list[dict[str, Any]] | None:
    if args.all_topic_partitions:
        return None
    if args.path_to_json_file is not None:
        doc = json.loads(args.path_to_json_file.read_text())
        by_topic: dict[str, list[int]] = {}
        for e in doc.get("partitions", []):
            by_topic.setdefault(str(e["topic"]), []).append(int(e["partition"]))
        return [{"topic": t, "partitions": ps} for t, ps in by_topic.items()]
    if args.topic is None or args.partition is None:
        raise ClientError("give --topic and --partition, --path-to-json-file or "
                          "--all-topic-partitions")  # fmt: skip
    return [{"topic": args.topic, "partitions": [args.partition]}]


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    body = {
        "election_type": TYPES[args.election_type],
        "topic_partitions": _selection(args),
        "timeout": int(args.timeout * 1000),
    }
    resp = controller_request(args, 43, 2, body)
    if int(resp.error_code):
        raise ClientError(f"election failed: error {int(resp.error_code)}")
    done, failed = [], 0
    for t in resp.replica_election_results:
        for p in t.partition_result:
            code = int(p.error_code)
            if code == 0:
                done.append(f"{t.topic}-{p.partition_id}")
            elif code != NOT_NEEDED:
                failed += 1
                where = f"{t.topic}-{p.partition_id}"
                print(f"Error completing leader election ({args.election_type}) for partition "
                      f"{where}: error {code} {p.error_message or ''}")  # fmt: skip
    if done:
        print(f"Successfully completed leader election ({args.election_type}) for partitions "
              + ", ".join(done))  # fmt: skip
    else:
        print("Valid replica already elected for partitions")
    return 1 if failed else 0
