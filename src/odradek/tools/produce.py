"""``odradek produce``: console producer, one record per stdin line (like kafka-console-producer).

Lines are split by the reader properties of :class:`odradek.client.serde.LineReader`. Records
are sent asynchronously; at end of input the producer flushes, every delivery error is printed
to stderr and the exit code is 1 if any record failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from typing import Any, BinaryIO

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from odradek.client.admin import error_message
from odradek.client.config import ClientError, parse_pairs
from odradek.client.serde import LineReader
from odradek.tools.options import connection_config, run_tool, tool_parser

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
ACKS = ("-1", "all", "0", "1")
MAX_ERRORS_SHOWN = 20


def build_parser() -> argparse.ArgumentParser:
    p = tool_parser("produce", "Read records from stdin, one per line, and send them.")
    p.add_argument("--topic", required=True, help="topic to produce to")
    p.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="K=V",
        help="line reader property (parse.key, key.separator, parse.headers, ...)",
    )
    p.add_argument(
        "--producer-property",
        action="append",
        default=[],
        metavar="K=V",
        help="producer config property",
    )
    p.add_argument(
        "--producer.config",
        dest="producer_config",
        metavar="FILE",
        help="producer properties file (same as --command-config)",
    )
    p.add_argument(
        "--compression-codec",
        nargs="?",
        const="gzip",
        choices=CODECS,
        help="compression codec (gzip if given without a value)",
    )
    p.add_argument("--request-required-acks", default="-1", choices=ACKS, help="acks (default -1)")
    p.add_argument("--partition", type=int, help="send every record to this partition")
    p.add_argument("--sync", action="store_true", help="wait for each record's delivery")
    p.add_argument("--timeout", type=int, metavar="MS", help="linger.ms for batching")
    p.add_argument("--batch-size", type=int, help="records per batch (batch.num.messages)")
    p.add_argument("--message-send-max-retries", type=int, help="retries")
    p.add_argument("--request-timeout-ms", type=int, help="request.timeout.ms")
    p.add_argument("--flush-timeout-ms", type=int, default=60_000, help="end-of-input wait")
    return p


def producer_config(args: argparse.Namespace) -> dict[str, str]:
    """Client properties: file, tool flags, then ``--producer-property`` (last wins)."""
    conf: dict[str, str] = {
        "partitioner": "murmur2_random",  # Java client's key → partition mapping
        "acks": "all" if args.request_required_acks == "-1" else args.request_required_acks,
    }
    flags = {
        "compression.type": args.compression_codec,
        "linger.ms": args.timeout,
        "batch.num.messages": args.batch_size,
        "message.send.max.retries": args.message_send_max_retries,
        "request.timeout.ms": args.request_timeout_ms,
    }
    conf.update({k: str(v) for k, v in flags.items() if v is not None})
    conf.update(parse_pairs(args.producer_property))
    if args.producer_config and not args.command_config:
        args.command_config = args.producer_config
    merged = connection_config(args, conf)
    merged.setdefault("log_level", "3")
    return merged


class DeliveryReport:
    """Counts deliveries and remembers failures (the first few are printed verbatim)."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.delivered = 0
        self.failed = 0

    def __call__(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.delivered += 1
            return
        self.rejected(err, msg.key(), msg.value())

    def rejected(self, err: KafkaError | None, key: bytes | None, value: bytes | None) -> None:
        self.failed += 1
        if self.failed <= MAX_ERRORS_SHOWN:
            reason = err.str() if isinstance(err, KafkaError) else str(err)
            print(
                f"Error when sending message to topic {self.topic} with key: "
                f"{'null' if key is None else f'{len(key)} bytes'}, value: "
                f"{'null' if value is None else f'{len(value)} bytes'} with error: {reason}",
                file=sys.stderr,
            )


def _lines(stream: BinaryIO) -> Iterable[bytes]:
    for raw in stream:
        if raw.endswith(b"\r\n"):
            yield raw[:-2]
        elif raw.endswith(b"\n"):
            yield raw[:-1]
        else:
            yield raw


def _send(producer: Producer, kwargs: dict[str, Any], report: DeliveryReport) -> None:
    """Enqueue one record, serving delivery callbacks while the local queue is full.

    A record the client rejects at once (unknown partition, too large) counts as failed.
    """
    for _ in range(10_000):
        try:
            producer.produce(**kwargs)
            return
        except BufferError:
            producer.poll(0.1)
        except KafkaException as exc:
            report.rejected(exc.args[0] if exc.args else None, kwargs.get("key"), kwargs["value"])
            return
    raise ClientError("local producer queue stayed full")


def produce_stream(args: argparse.Namespace, stream: BinaryIO) -> int:
    reader = LineReader.from_properties(parse_pairs(args.property))
    try:
        producer = Producer(producer_config(args))
    except KafkaException as exc:
        raise ClientError(error_message(exc)) from exc
    report = DeliveryReport(args.topic)
    every = 1 if stream.isatty() else 1000  # interactive: report errors line by line
    sent = 0
    for number, line in enumerate(_lines(stream), start=1):
        key, value, headers = reader.parse(line, number)
        kwargs: dict[str, Any] = {
            "topic": args.topic,
            "value": value,
            "key": key,
            "on_delivery": report,
        }
        if headers:
            kwargs["headers"] = headers
        if args.partition is not None:
            kwargs["partition"] = args.partition
        _send(producer, kwargs, report)
        sent += 1
        if sent % every == 0:
            producer.poll(0)
        if args.sync:
            producer.flush(args.flush_timeout_ms / 1000)
    return _finish(producer, report, sent, args.flush_timeout_ms / 1000)


def _finish(producer: Producer, report: DeliveryReport, sent: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    remaining = producer.flush(timeout)
    while remaining and time.monotonic() < deadline:
        remaining = producer.flush(max(0.0, deadline - time.monotonic()))
    if remaining:
        print(
            f"{remaining} of {sent} records were not delivered before the timeout", file=sys.stderr
        )
        return 1
    if report.failed:
        print(f"{report.failed} of {sent} records failed", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    return run_tool(lambda: produce_stream(build_parser().parse_args(argv), sys.stdin.buffer))
