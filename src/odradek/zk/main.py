"""``odradek zk``: run a standalone ZooKeeper-compatible server from zoo.cfg and/or flags."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from odradek.zk import admin
from odradek.zk.config import ConfigError, ZkConfig, apply_setting, load, read_myid
from odradek.zk.server import ZkServer

FLAG_KEYS = {
    "port": "clientPort",
    "address": "clientPortAddress",
    "data_dir": "dataDir",
    "data_log_dir": "dataLogDir",
    "tick_time": "tickTime",
    "min_session_timeout": "minSessionTimeout",
    "max_session_timeout": "maxSessionTimeout",
    "max_client_cnxns": "maxClientCnxns",
    "admin_port": "admin.serverPort",
    "snap_count": "snapCount",
}


def parse_args(argv: list[str]) -> ZkConfig:
    p = argparse.ArgumentParser(prog="odradek zk", description=__doc__)
    p.add_argument("--config", type=Path, help="zoo.cfg file")
    for flag in FLAG_KEYS:
        p.add_argument("--" + flag.replace("_", "-"))
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any zoo.cfg setting")  # fmt: skip
    p.add_argument("--read-only-mode", action="store_true",
                   help="readonlymode.enabled=true: an ensemble member without a quorum "
                   "serves read-only clients")  # fmt: skip
    p.add_argument("--log-level", default="INFO")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    cfg = load(args.config) if args.config else ZkConfig()
    for flag, key in FLAG_KEYS.items():
        value = getattr(args, flag)
        if value is not None:
            apply_setting(cfg, key, value)
    for item in args.set:
        key, _, value = item.partition("=")
        apply_setting(cfg, key, value)
    if args.read_only_mode:
        cfg.read_only_mode = True
    read_myid(cfg)
    return cfg


async def run(cfg: ZkConfig) -> int:
    if len(cfg.servers) > 1:
        from odradek.zk.ensemble.server import EnsembleServer

        server: ZkServer = EnsembleServer(cfg)
    else:
        server = ZkServer(cfg)
    await server.start()
    admin_server = None
    if cfg.admin_enable:
        try:
            admin_server = await admin.start_admin(cfg.admin_address, cfg.admin_port, server.info)
        except OSError as exc:
            logging.getLogger("odradek.zk").warning("admin server not started: %s", exc)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logging.getLogger("odradek.zk").info("shutting down")
    if admin_server is not None:
        admin_server.close()
    await server.stop()
    return 0


def main(argv: list[str]) -> int:
    try:
        cfg = parse_args(argv)
    except ConfigError as exc:
        print(f"odradek zk: {exc}", file=sys.stderr)
        return 2
    factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(run(cfg))
