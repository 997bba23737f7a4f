"""``odradek serve``: start one broker.

Settings come from Kafka's property names, in this order of precedence: ``--override k=v`` flags,
``--listen`` / ``--data-dir`` / ``--broker-id`` flags, then ``--config server.properties``.
Without ``zookeeper.connect`` the broker runs self-contained, its metadata in its data directory.
SIGTERM and SIGINT shut it down cleanly (logs flushed, indexes trimmed, clean-shutdown marker).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from odradek.broker.broker import Broker
from odradek.broker.dispatcher import Dispatcher
from odradek.broker.handlers.registry import all_specs
from odradek.common.config import BrokerConfig, load_properties
from odradek.common.errors import KafkaError
from odradek.net.server import FramedServer, install_uvloop

log = logging.getLogger("odradek.broker")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="odradek serve", description="Start an odradek broker.")
    p.add_argument("--config", type=Path, help="a Kafka-style server.properties file")
    p.add_argument("--listen", help="HOST:PORT to listen on (overrides listeners)")
    p.add_argument("--data-dir", type=Path, help="data directory (overrides log.dirs)")
    p.add_argument("--broker-id", type=int, help="broker id (overrides broker.id)")
    p.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a broker property (repeatable)",
    )
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


def build_config(args: argparse.Namespace) -> BrokerConfig:
    props: dict[str, str] = load_properties(args.config) if args.config else {}
    if args.listen:
        props["listeners"] = f"PLAINTEXT://{args.listen}"
    if args.data_dir:
        props["log.dirs"] = str(args.data_dir)
    if args.broker_id is not None:
        props["broker.id"] = str(args.broker_id)
    for item in args.override:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--override needs KEY=VALUE, got {item!r}")
        props[key.strip()] = value.strip()
    return BrokerConfig(props)


def parse_listener(value: str) -> tuple[str, int]:
    """``PLAINTEXT://host:port`` (or ``host:port``) → (host, port)."""
    _, _, rest = value.rpartition("://")
    host, _, port = rest.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


async def run(config: BrokerConfig) -> int:
    dirs = config.get("log.dirs") or [config.get_str("log.dir")]
    assert isinstance(dirs, list)
    data_dir = Path(str(dirs[0]))
    listeners = config.get("listeners")
    assert isinstance(listeners, list)
    host, port = parse_listener(listeners[0])
    advertised = config.get("advertised.listeners")
    adv_host, adv_port = (
        parse_listener(advertised[0]) if isinstance(advertised, list) else (host, port)
    )
    broker = Broker(config, data_dir)
    specs = all_specs()
    broker.api_specs = specs
    server = FramedServer(Dispatcher(broker, specs), config.get_int("socket.request.max.bytes"))
    bound = await server.start(host, port)
    if adv_port == 0:
        adv_port = bound
    if adv_host in ("0.0.0.0", "::", ""):
        adv_host = "127.0.0.1"
    await broker.start(adv_host, adv_port)
    log.info(
        "broker %d started on %s:%d (advertised %s:%d), data in %s",
        broker.node_id,
        host,
        bound,
        adv_host,
        adv_port,
        data_dir,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    await server.stop()
    await broker.stop()
    log.info("shut down cleanly")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = build_config(args)
    except KafkaError as exc:
        print(f"odradek serve: {exc}", file=sys.stderr)
        return 2
    install_uvloop()
    return asyncio.run(run(config))
