"""zoo.cfg parsing with Apache ZooKeeper's property names and defaults, plus ``myid``.

Unknown keys are kept in ``extra`` (ZooKeeper passes them as system properties); ``server.N``
lines are parsed into :class:`Peer` entries for the ensemble. Flags on the command line
override file values with the same names. ``readonlymode.enabled`` (a Java system property for
Apache ZooKeeper, ``-Dreadonlymode.enabled=true``) is accepted as a zoo.cfg line here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_4LW = frozenset({"srvr"})
ALL_4LW = frozenset(
    {
        "ruok",
        "srvr",
        "stat",
        "mntr",
        "conf",
        "cons",
        "wchs",
        "dump",
        "envi",
        "isro",
        "crst",
        "srst",
        "wchc",
        "wchp",
        "dirs",
    }
)


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Peer:
    id: int
    host: str
    peer_port: int
    election_port: int
    observer: bool = False
    client_port: int | None = None


@dataclass(slots=True)
class ZkConfig:
    tick_time: int = 2000
    data_dir: Path = Path("/tmp/zookeeper")
    data_log_dir: Path | None = None
    client_port: int = 2181
    client_port_address: str = "0.0.0.0"
    max_client_cnxns: int = 60
    min_session_timeout: int = -1
    max_session_timeout: int = -1
    init_limit: int = 10
    sync_limit: int = 5
    servers: dict[int, Peer] = field(default_factory=dict)
    snap_retain_count: int = 3
    purge_interval_hours: float = 0.0
    four_letter_words: frozenset[str] = DEFAULT_4LW
    jute_max_buffer: int = 0xFFFFF
    admin_enable: bool = True
    admin_port: int = 8080
    admin_address: str = "0.0.0.0"
    snap_count: int = 100000
    prealloc_kb: int = 65536
    container_check_ms: int = 60000
    read_only_mode: bool = False
    myid: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def min_timeout(self) -> int:
        return self.min_session_timeout if self.min_session_timeout > 0 else 2 * self.tick_time

    @property
    def max_timeout(self) -> int:
        return self.max_session_timeout if self.max_session_timeout > 0 else 20 * self.tick_time

    @property
    def snap_dir(self) -> Path:
        return self.data_dir / "version-2"

    @property
    def log_dir(self) -> Path:
        return (self.data_log_dir or self.data_dir) / "version-2"


def parse_server(key: str, value: str) -> Peer:
    try:
        sid = int(key.split(".", 1)[1])
        addr, _, client = value.partition(";")
        parts = addr.split(":")
        observer = len(parts) > 3 and parts[3].strip() == "observer"
        client_port = int(client.rsplit(":", 1)[-1]) if client else None
        return Peer(sid, parts[0], int(parts[1]), int(parts[2]), observer, client_port)
    except (IndexError, ValueError) as exc:
        raise ConfigError(f"bad server line {key}={value}") from exc


def _whitelist(value: str) -> frozenset[str]:
    words = {w.strip() for w in value.split(",") if w.strip()}
    return ALL_4LW if "*" in words else frozenset(words)


def _boolean(key: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ConfigError(f"bad value for {key}: {value!r} (true or false)")
    return value.lower() == "true"


def apply_setting(cfg: ZkConfig, key: str, value: str) -> None:
    value = value.strip()
    simple_ints = {
        "tickTime": "tick_time",
        "clientPort": "client_port",
        "maxClientCnxns": "max_client_cnxns",
        "minSessionTimeout": "min_session_timeout",
        "maxSessionTimeout": "max_session_timeout",
        "initLimit": "init_limit",
        "syncLimit": "sync_limit",
        "autopurge.snapRetainCount": "snap_retain_count",
        "admin.serverPort": "admin_port",
        "snapCount": "snap_count",
        "preAllocSize": "prealloc_kb",
        "znode.container.checkIntervalMs": "container_check_ms",
    }
    try:
        if key in simple_ints:
            setattr(cfg, simple_ints[key], int(value))
        elif key == "jute.maxbuffer":
            cfg.jute_max_buffer = int(value, 0)
        elif key == "dataDir":
            cfg.data_dir = Path(value)
        elif key == "dataLogDir":
            cfg.data_log_dir = Path(value)
        elif key == "clientPortAddress":
            cfg.client_port_address = value
        elif key == "autopurge.purgeInterval":
            cfg.purge_interval_hours = float(value)
        elif key == "4lw.commands.whitelist":
            cfg.four_letter_words = _whitelist(value)
        elif key == "admin.enableServer":
            cfg.admin_enable = value.lower() == "true"
        elif key == "readonlymode.enabled":
            cfg.read_only_mode = _boolean(key, value)
        elif key == "admin.serverAddress":
            cfg.admin_address = value
        elif key.startswith("server."):
            peer = parse_server(key, value)
            cfg.servers[peer.id] = peer
        else:
            cfg.extra[key] = value
    except ValueError as exc:
        raise ConfigError(f"bad value for {key}: {value!r}") from exc


def parse_text(text: str, cfg: ZkConfig | None = None) -> ZkConfig:
    cfg = cfg or ZkConfig()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigError(f"not key=value: {line!r}")
        apply_setting(cfg, key.strip(), value)
    return cfg


def read_myid(cfg: ZkConfig) -> None:
    path = cfg.data_dir / "myid"
    if path.is_file():
        try:
            cfg.myid = int(path.read_text().strip())
        except ValueError as exc:
            raise ConfigError(f"bad myid file {path}") from exc


def load(path: Path) -> ZkConfig:
    cfg = parse_text(path.read_text())
    read_myid(cfg)
    return cfg
