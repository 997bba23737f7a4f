"""LogManager: every partition Log across the data dirs, checkpoints and the shutdown marker.

Each data dir holds ``<topic>-<partition>/`` directories plus Kafka's
``recovery-point-offset-checkpoint`` and ``log-start-offset-checkpoint`` and, after a clean
shutdown, the ``.kafka_cleanshutdown`` marker. At startup the marker selects the fast path
(trust indexes) or recovery (see ``loader``); it is removed once the logs are loaded, so a
crash afterwards is detected as unclean. ``*-delete`` directories are finished off; other
names that do not parse as ``<topic>-<partition>`` are ignored.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path

from odradek.common.clock import Clock
from odradek.common.config import LogConfig
from odradek.storage.checkpoint import (
    CLEAN_SHUTDOWN_FILE,
    LOG_START_OFFSET_CHECKPOINT,
    RECOVERY_POINT_CHECKPOINT,
    fsync_dir,
    read_offsets,
    write_offsets,
)
from odradek.storage.log import Log, parse_dir_name

log = logging.getLogger(__name__)


class LogManager:
    def __init__(self, data_dirs: list[Path], default_config: LogConfig, clock: Clock) -> None:
        if not data_dirs:
            raise ValueError("at least one data dir is needed")
        self.data_dirs = [Path(d) for d in data_dirs]
        self.default_config = default_config
        self.clock = clock
        self.recovery_report: list[str] = []
        self._logs: dict[tuple[str, int], Log] = {}
        self._dir_of: dict[tuple[str, int], Path] = {}

    # -- startup -------------------------------------------------------------------------
    def startup(self) -> None:
        for data_dir in self.data_dirs:
            data_dir.mkdir(parents=True, exist_ok=True)
            marker = data_dir / CLEAN_SHUTDOWN_FILE
            clean = marker.exists()
            if not clean and any(parse_dir_name(c.name) for c in data_dir.iterdir() if c.is_dir()):
                log.info("%s: no clean shutdown marker, recovering", data_dir)
            recovery_points = read_offsets(data_dir / RECOVERY_POINT_CHECKPOINT)
            start_offsets = read_offsets(data_dir / LOG_START_OFFSET_CHECKPOINT)
            for child in sorted(data_dir.iterdir()):
                if not child.is_dir():
                    continue
                if child.name.endswith("-delete"):
                    shutil.rmtree(child, ignore_errors=True)
                    continue
                parsed = parse_dir_name(child.name)
                if parsed is None:
                    continue
                lg = Log(
                    child,
                    self.default_config,
                    self.clock,
                    recovery_point=recovery_points.get(parsed, 0),
                    log_start_offset=start_offsets.get(parsed, 0),
                    clean_shutdown=clean,
                    on_log_start_offset_change=self._on_log_start_change,
                )
                self.recovery_report.extend(lg.load_report)
                self._logs[parsed] = lg
                self._dir_of[parsed] = data_dir
            marker.unlink(missing_ok=True)
        self.checkpoint()

    # -- access --------------------------------------------------------------------------
    def get_log(self, topic: str, partition: int) -> Log | None:
        return self._logs.get((topic, partition))

    def get_or_create_log(self, topic: str, partition: int, config: LogConfig) -> Log:
        key = (topic, partition)
        existing = self._logs.get(key)
        if existing is not None:
            if existing.config != config:
                existing.update_config(config)
            return existing
        counts = {d: 0 for d in self.data_dirs}
        for d in self._dir_of.values():
            counts[d] += 1
        data_dir = min(self.data_dirs, key=lambda d: counts[d])
        lg = Log(
            data_dir / f"{topic}-{partition}",
            config,
            self.clock,
            on_log_start_offset_change=self._on_log_start_change,
        )
        self._logs[key] = lg
        self._dir_of[key] = data_dir
        return lg

    def all_logs(self) -> list[Log]:
        return list(self._logs.values())

    def delete_log(self, topic: str, partition: int) -> None:
        """Close the log, rename its dir to ``<dir>.<uuid>-delete``, then remove it."""
        key = (topic, partition)
        lg = self._logs.pop(key, None)
        data_dir = self._dir_of.pop(key, None)
        if lg is None or data_dir is None:
            return
        lg.close()
        doomed = lg.dir.with_name(f"{lg.dir.name}.{uuid.uuid4().hex}-delete")
        os.rename(lg.dir, doomed)
        fsync_dir(data_dir)
        shutil.rmtree(doomed, ignore_errors=True)
        self._checkpoint_dir(data_dir)

    # -- periodic work -------------------------------------------------------------------
    def run_retention(self) -> None:
        now = self.clock.now_ms()
        for lg in self.all_logs():
            lg.apply_retention(now)

    def delete_retired_files(self) -> None:
        """file.delete.delay.ms: unlink the ``.deleted`` files whose delay is over."""
        now = self.clock.now_ms()
        for lg in self.all_logs():
            lg.delete_retired_files(now)

    def flush_dirty(self) -> None:
        """flush.ms: fsync logs with unflushed messages whose last flush is old enough."""
        now = self.clock.now_ms()
        for lg in self.all_logs():
            if lg.unflushed_messages > 0 and now - lg.last_flush_ms >= lg.config.flush_ms:
                lg.flush()

    def checkpoint(self) -> None:
        for data_dir in self.data_dirs:
            self._checkpoint_dir(data_dir)

    def _checkpoint_dir(self, data_dir: Path) -> None:
        logs = {k: lg for k, lg in self._logs.items() if self._dir_of[k] == data_dir}
        write_offsets(
            data_dir / RECOVERY_POINT_CHECKPOINT,
            {k: lg.recovery_point for k, lg in logs.items()},
        )
        write_offsets(
            data_dir / LOG_START_OFFSET_CHECKPOINT,
            {k: lg.log_start_offset for k, lg in logs.items()},
        )

    def _on_log_start_change(self, lg: Log) -> None:
        data_dir = self._dir_of.get((lg.topic, lg.partition))
        if data_dir is not None:
            self._checkpoint_dir(data_dir)

    def shutdown(self) -> None:
        """Flush and close every log, checkpoint, then write the clean-shutdown markers."""
        for lg in self.all_logs():
            lg.close()
        self.checkpoint()
        for data_dir in self.data_dirs:
            marker = data_dir / CLEAN_SHUTDOWN_FILE
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            fsync_dir(data_dir)
        self._logs.clear()
        self._dir_of.clear()
