"""``odradek consume``: console consumer printing records to stdout (like kafka-console-consumer).

Without ``--group`` the tool assigns itself every partition of the topic (no group membership,
no commits); with ``--group`` it subscribes and commits as a group member. ``--partition`` with
``--offset earliest|latest|N`` reads one partition from a position. It stops after
``--max-messages`` records, after ``--timeout-ms`` without a record, or on SIGINT/SIGTERM, and
reports ``Processed a total of N messages`` on stderr.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import time
from typing import Any, BinaryIO

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from odradek.client.admin import error_message
from odradek.client.config import ClientError, parse_pairs
from odradek.client.serde import ConsumedRecord, TextFormatter, record_json
from odradek.tools.options import connection_config, run_tool, tool_parser

POLL_BATCH = 500


def build_parser() -> argparse.ArgumentParser:
    p = tool_parser("consume", "Read records from a topic and print them to stdout.")
    p.add_argument("--topic", required=True, help="topic to consume from")
    p.add_argument("--from-beginning", action="store_true", help="start at the earliest offset")
    p.add_argument("--partition", type=int, help="read only this partition")
    p.add_argument("--offset", help="earliest, latest or an offset (needs --partition)")
    p.add_argument("--group", help="consumer group id (subscribe and commit)")
    p.add_argument("--max-messages", type=int, help="exit after this many records")
    p.add_argument("--timeout-ms", type=int, help="exit when no record arrives for this long")
    p.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="K=V",
        help="formatter property (print.key, print.headers, key.separator, ...)",
    )
    p.add_argument("--consumer-property", action="append", default=[], metavar="K=V")
    p.add_argument("--consumer.config", dest="consumer_config", metavar="FILE")
    p.add_argument(
        "--isolation-level",
        choices=("read_uncommitted", "read_committed"),
        default="read_uncommitted",
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (Kafka's default formatter) or one JSON object per record",
    )
    return p


def start_offset(args: argparse.Namespace) -> int:
    """The librdkafka start offset for ``--offset`` / ``--from-beginning``."""
    if args.offset is None:
        return OFFSET_BEGINNING if args.from_beginning else OFFSET_END
    if args.from_beginning:
        raise ClientError("Options from-beginning and offset cannot be specified together")
    text = args.offset.strip().lower()
    if text == "earliest":
        return OFFSET_BEGINNING
    if text == "latest":
        return OFFSET_END
    try:
        offset = int(text)
    except ValueError as exc:
        raise ClientError(f"Invalid offset {args.offset!r}: earliest, latest or >= 0") from exc
    if offset < 0:
        raise ClientError(f"Invalid offset {args.offset!r}: earliest, latest or >= 0")
    return offset


def consumer_config(args: argparse.Namespace) -> dict[str, str]:
    group = args.group or f"console-consumer-{random.randrange(100_000)}"
    conf = {
        "group.id": group,
        "enable.auto.commit": "true" if args.group else "false",
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
        "isolation.level": args.isolation_level,
        "enable.partition.eof": "false",
        "log_level": "3",
    }
    conf.update(parse_pairs(args.consumer_property))
    if args.consumer_config and not args.command_config:
        args.command_config = args.consumer_config
    return connection_config(args, conf)


def _topic_partitions(consumer: Consumer, topic: str, deadline: float) -> list[int]:
    while True:
        md = consumer.list_topics(topic, timeout=max(0.1, deadline - time.monotonic()))
        info = md.topics.get(topic)
        if info is not None and info.error is None and info.partitions:
            return sorted(info.partitions)
        if time.monotonic() >= deadline:
            detail = f": {info.error.str()}" if info is not None and info.error else ""
            raise ClientError(f"Topic {topic} not found{detail}")
        time.sleep(0.2)


def attach(consumer: Consumer, args: argparse.Namespace) -> None:
    """Assign partitions (no group, or ``--partition``) or subscribe (``--group``)."""
    offset = start_offset(args)
    if args.offset is not None and args.partition is None:
        raise ClientError("The partition is required when offset is specified.")
    if args.partition is not None:
        consumer.assign([TopicPartition(args.topic, args.partition, offset)])
    elif args.group:
        consumer.subscribe([args.topic])
    else:
        deadline = time.monotonic() + 30.0
        parts = _topic_partitions(consumer, args.topic, deadline)
        consumer.assign([TopicPartition(args.topic, p, offset) for p in parts])


def to_record(msg: Message) -> ConsumedRecord:
    ts_type, ts = msg.timestamp()
    return ConsumedRecord(
        topic=msg.topic() or "",
        partition=msg.partition() or 0,
        offset=msg.offset() or 0,
        timestamp_type=ts_type,
        timestamp=ts,
        key=msg.key(),
        value=msg.value(),
        headers=_headers(msg.headers()),
    )


def _headers(raw: Any) -> list[tuple[str, bytes | None]]:
    items = raw.items() if isinstance(raw, dict) else (raw or [])
    return [(k, v.encode() if isinstance(v, str) else v) for k, v in items]


class Printer:
    def __init__(self, args: argparse.Namespace, out: BinaryIO) -> None:
        self.json = args.format == "json"
        self.text = TextFormatter.from_properties(parse_pairs(args.property))
        self.out = out
        self.count = 0

    def write(self, msg: Message) -> None:
        self.count += 1
        rec = to_record(msg)
        if self.json:
            self.out.write(record_json(rec).encode() + b"\n")
        else:
            self.out.write(self.text.format(rec))


def consume_loop(consumer: Consumer, args: argparse.Namespace, printer: Printer) -> None:
    """Print records until a stop condition (the printer counts them)."""
    stop: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    limit = args.max_messages
    idle_limit = None if args.timeout_ms is None else args.timeout_ms / 1000
    last = time.monotonic()
    while not stop and (limit is None or printer.count < limit):
        want = POLL_BATCH if limit is None else min(POLL_BATCH, limit - printer.count)
        wait = (
            0.5
            if idle_limit is None
            else min(0.5, max(0.0, idle_limit - (time.monotonic() - last)))
        )
        messages = consumer.consume(want, wait)
        for msg in messages:
            err = msg.error()
            if err is not None:
                _report_error(err)
                continue
            printer.write(msg)
        if messages:
            printer.out.flush()
            last = time.monotonic()
        elif idle_limit is not None and time.monotonic() - last >= idle_limit:
            break


def _report_error(err: KafkaError) -> None:
    if err.code() == KafkaError._PARTITION_EOF:
        return
    print(f"Consumer error: {err.str()}", file=sys.stderr)
    if err.fatal():
        raise ClientError(err.str())


def run(args: argparse.Namespace, out: BinaryIO) -> int:
    printer = Printer(args, out)
    try:
        consumer = Consumer(consumer_config(args))
    except KafkaException as exc:
        raise ClientError(error_message(exc)) from exc
    try:
        attach(consumer, args)
        consume_loop(consumer, args, printer)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # reader went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KafkaException as exc:
        raise ClientError(error_message(exc)) from exc
    finally:
        print(f"Processed a total of {printer.count} messages", file=sys.stderr)
        consumer.close()
    return 0


def main(argv: list[str]) -> int:
    def body() -> int:
        args = build_parser().parse_args(argv)
        return run(args, sys.stdout.buffer)

    return run_tool(body)
