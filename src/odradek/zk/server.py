"""The asyncio edge of a standalone server: listener, group-committed txn log, timers.

Durability rule: output produced after a txn was applied leaves only once that txn is fsynced.
Txns applied by the core are appended to the log buffer; outputs queued meanwhile are attached
to the batch that will cover them (the pending batch, or the one being fsynced); one fsync per
batch runs in a worker thread while the loop keeps serving — or on the loop thread itself while
the recent fsyncs took under ``INLINE_FSYNC_MAX`` (two thread wake-ups per batch saved: ~0.2 ms
per write and watch round trip; a slow disk sends the fsyncs back to the worker, so reads are
not held behind them). Snapshots are taken every
``snapCount`` txns (log rolled first) and written fuzzily; autopurge runs on its interval.
The heap is frozen (``gc.freeze``) at start and every ``FREEZE_EVERY`` txns, so full garbage
collections do not walk the data tree.
Request latency (for the 4lw) runs from the read of a request to the dispatch of its reply:
replies come in request order per connection, so a FIFO of arrival times per connection pairs
them (notifications, xid -1, are not replies).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import struct
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from odradek.zk import database, fourlw, snapshot
from odradek.zk.codes import WRITE_OPS
from odradek.zk.config import ZkConfig
from odradek.zk.connection import ClientConnection
from odradek.zk.core import SUPER_DIGEST_KEY, CoreConfig, ZkCore
from odradek.zk.stats import ServerStats
from odradek.zk.txnlog import TxnLog, datasync

Out = list[tuple[int, bytes | None]]
_INT = struct.Struct(">i")
_NOTIFICATION = _INT.pack(-1)
_WRITES = frozenset(int(op) for op in WRITE_OPS)


FREEZE_EVERY = 10_000  # txns between two gc.freeze() calls
INLINE_FSYNC_MAX = 0.001  # s: fsync on the loop thread while the recent fsyncs are this quick


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class ZkServer:
    def __init__(self, config: ZkConfig) -> None:
        self.config = config
        self.log = logging.getLogger("odradek.zk")
        self.max_frame = config.jute_max_buffer + 1024
        self.conns: dict[int, ClientConnection] = {}
        self.per_ip: Counter[str] = Counter()
        self.next_conn = 1
        self.received = 0
        self.sent = 0
        self.stats = ServerStats()
        self.arrivals: dict[int, deque[tuple[int, bool]]] = {}  # conn -> (ns, is a write)
        self.pending_out: Out = []
        self.inflight_out: Out = []
        self.has_pending = False
        self.inflight = False
        self.txns_since_snap = 0
        self.snapshotting = False
        self.closed = False
        self.fsync_pool = ThreadPoolExecutor(1, thread_name_prefix="zk-fsync")
        self.server: asyncio.Server | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.stopped = asyncio.Event()
        tree, replayed = database.restore(config.snap_dir, config.log_dir)
        self.log.info("restored zxid 0x%x (%d txns replayed)", tree.last_zxid, replayed)
        core_cfg = CoreConfig(
            tick_ms=config.tick_time,
            min_session_timeout=config.min_timeout,
            max_session_timeout=config.max_timeout,
            server_id=config.myid,
            container_check_ms=config.container_check_ms,
            super_digest=config.extra.get(SUPER_DIGEST_KEY, ""),
        )
        self.core = ZkCore(core_cfg, tree, now_ms())
        self.txnlog = TxnLog(config.log_dir, config.prealloc_kb * 1024)
        self.txns_since_snap = replayed
        self.frozen_zxid = -1
        self.fsync_avg = 0.0  # moving average of the txn log's fsync time, s
        self.fsyncs = 0  # the first 16 run in the worker: the disk is timed before trusted
        self.port = config.client_port

    # -------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = self.config
        self.server = await loop.create_server(
            self._new_protocol, cfg.client_port_address, cfg.client_port, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]
        self.tasks.append(asyncio.create_task(self._ticker()))
        if cfg.purge_interval_hours > 0:
            self.tasks.append(asyncio.create_task(self._purger()))
        if self.txns_since_snap or not snapshot.newest_valid(cfg.snap_dir):
            self._maybe_snapshot(force=True)
        self.log.info("serving on %s:%d", cfg.client_port_address, self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for t in self.tasks:
            t.cancel()
        for conn in list(self.conns.values()):
            conn.abort()
        self.fsync_pool.shutdown(wait=True)  # let an fsync in flight finish on an open fd
        self.closed = True
        self._flush_now()
        self.txnlog.close()
        self.stopped.set()

    def _new_protocol(self) -> ClientConnection:
        conn = ClientConnection(self, self.next_conn)
        self.next_conn += 1
        return conn

    # -------------------------------------------------------------- connections
    def accept(self, conn: ClientConnection, ip: str) -> bool:
        limit = self.config.max_client_cnxns
        if limit > 0 and self.per_ip[ip] >= limit:
            self.log.warning("too many connections from %s (max %d)", ip, limit)
            return False
        self.per_ip[ip] += 1
        self.conns[conn.id] = conn
        self.arrivals[conn.id] = deque()
        self.core.open(conn.id, ip)
        return True

    def lost(self, conn: ClientConnection) -> None:
        if self.conns.pop(conn.id, None) is None:
            return
        self.arrivals.pop(conn.id, None)
        self.stats.conn_base.pop(conn.id, None)
        ip = conn.peer.rsplit(":", 1)[0]
        self.per_ip[ip] -= 1
        if self.per_ip[ip] <= 0:
            del self.per_ip[ip]
        self.core.lost(conn.id)

    def frames(self, conn: ClientConnection, frames: list[bytes]) -> None:
        now = now_ms()
        core = self.core
        self._arrived(conn.id, frames)
        for f in frames:
            core.frame(conn.id, f, now)
        self.received += len(frames)
        self._after_core()

    def _arrived(self, conn_id: int, frames: list[bytes]) -> None:
        """Note when each request was read and whether it is a write (a connect is one)."""
        arrivals = self.arrivals.get(conn_id)
        if arrivals is None:
            return
        t = time.monotonic_ns()
        state = self.core.conns.get(conn_id)
        update = state is not None and state.session_id == 0
        for f in frames:
            arrivals.append((t, update or (len(f) >= 8 and _INT.unpack_from(f, 4)[0] in _WRITES)))
            update = False

    def four_letter(self, conn: ClientConnection, word: str) -> None:
        if word not in self.config.four_letter_words:
            text = f"{word} is not executed because it is not in the whitelist.\n"
        else:
            text = fourlw.run(word, self.info())[1]
        conn.write([text.encode()])
        conn.close()

    def info(self) -> fourlw.ServerInfo:
        conns = []
        st = self.stats
        for c in self.conns.values():
            state = self.core.conns.get(c.id)
            if state is None:
                continue
            base_received, base_sent = st.conn_base.get(c.id, (0, 0))
            conns.append(
                fourlw.ConnInfo(
                    c.id,
                    c.peer,
                    state.received - base_received,
                    c.sent - base_sent,
                    state.session_id,
                    state.timeout,
                    len(self.arrivals.get(c.id, ())),
                )
            )
        return fourlw.ServerInfo(
            self.core, self.config, conns, self.received - st.base_received,
            self.sent - st.base_sent, stats=st,
            outstanding=sum(len(q) for q in self.arrivals.values()),
        )  # fmt: skip

    # -------------------------------------------------------------- output gating
    def _after_core(self) -> None:
        core = self.core
        if core.txns:
            for txn in core.txns:
                self.txnlog.append(txn)
            self.txns_since_snap += len(core.txns)
            core.txns.clear()
            self.has_pending = True
        if core.outbox:
            out, core.outbox = core.outbox, []
            if self.has_pending:
                self.pending_out.extend(out)
            elif self.inflight:
                self.inflight_out.extend(out)
            else:
                self._dispatch(out)
        if self.has_pending and not self.inflight:
            # flush now: txns arriving while this fsync runs form the next batch
            self._flush()

    def _flush(self) -> None:
        if self.inflight or not self.has_pending:
            return
        fd = self.txnlog.write_pending()
        self.has_pending = False
        self.inflight_out, self.pending_out = self.pending_out, []
        self.inflight = True
        if fd < 0:
            self._synced()
            return
        self._sync_then(fd, self._synced)

    def _sync_then(self, fd: int, done: Callable[[], None]) -> None:
        """fsync the txn log's ``fd``, then call ``done`` on the loop thread: on this thread
        while the recent fsyncs were quick (two thread wake-ups saved per batch), else in the
        worker. A failed fsync stops the process: the log can no longer be trusted."""
        if self.fsync_avg < INLINE_FSYNC_MAX and self.fsyncs >= 16:
            try:
                self._timed_sync(fd)
            except OSError as exc:
                self._fsync_failed(exc)
            done()
            return
        loop = asyncio.get_running_loop()
        fut = self.fsync_pool.submit(self._timed_sync, fd)
        # straight from the worker thread to the loop: one wake-up, no asyncio future hop
        fut.add_done_callback(lambda f: loop.call_soon_threadsafe(self._worker_synced, f, done))

    def _worker_synced(self, fut: Future[None], done: Callable[[], None]) -> None:
        exc = fut.exception()
        if exc is not None and not self.closed:
            self._fsync_failed(exc)
        done()

    def _fsync_failed(self, exc: BaseException) -> None:
        self.log.critical("fsync of the txn log failed: %s; stopping", exc)
        os._exit(3)

    def _timed_sync(self, fd: int) -> None:
        t0 = time.perf_counter()
        datasync(fd)
        self.fsync_avg += (time.perf_counter() - t0 - self.fsync_avg) * 0.2
        self.fsyncs += 1

    def _synced(self) -> None:
        if self.closed:
            return
        self.inflight = False
        out, self.inflight_out = self.inflight_out, []
        self._dispatch(out)
        self._maybe_snapshot()
        if self.has_pending:
            self._flush()

    def _flush_now(self) -> None:
        self._after_core()
        self.txnlog.sync()
        self._dispatch(self.inflight_out + self.pending_out)
        self.inflight_out, self.pending_out, self.has_pending = [], [], False

    def _dispatch(self, out: Out) -> None:
        if not out:
            return
        per_conn: dict[int, list[bytes]] = {}
        closing: list[int] = []
        arrivals, now_ns = self.arrivals, time.monotonic_ns()
        for conn_id, data in out:
            if conn_id in closing:
                continue
            if data is None:
                closing.append(conn_id)
            else:
                per_conn.setdefault(conn_id, []).append(data)
                if data[4:8] != _NOTIFICATION and (q := arrivals.get(conn_id)):
                    t, update = q.popleft()
                    self.stats.add(now_ns - t, update)
        for conn_id, chunks in per_conn.items():
            conn = self.conns.get(conn_id)
            if conn is not None:
                conn.write(chunks)
                self.sent += len(chunks)
        for conn_id in closing:
            conn = self.conns.get(conn_id)
            if conn is not None:
                conn.close()

    # -------------------------------------------------------------- timers
    async def _ticker(self) -> None:
        """Wake at the next session bucket deadline (like ZooKeeper's expirer thread), at
        least every quarter tick for containers and TTL nodes."""
        longest = min(max(self.config.tick_time / 4000, 0.01), 1.0)
        while True:
            deadline = self.core.sessions.next_deadline()
            wait = longest
            if deadline is not None:
                wait = min(longest, max(0.001, (deadline - now_ms() + 1) / 1000))
            await asyncio.sleep(wait)
            self.core.tick(now_ms())
            self._after_core()
            self._freeze_heap()

    def _freeze_heap(self) -> None:
        """Move what is alive now (mostly znodes) out of the collector's sight: with the tree in
        gen2, every automatic full collection walks all znodes (~0.2 s per 200k znodes, a pause
        for every client). Znodes hold no cycles, so refcounting still frees deleted ones."""
        zxid = self.core.tree.last_zxid
        if zxid - self.frozen_zxid >= FREEZE_EVERY or self.frozen_zxid < 0:
            self.frozen_zxid = zxid
            gc.freeze()

    async def _purger(self) -> None:
        interval = self.config.purge_interval_hours * 3600
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            cfg = self.config
            removed = await loop.run_in_executor(
                None, database.purge, cfg.snap_dir, cfg.log_dir, cfg.snap_retain_count
            )
            self.log.info("autopurge removed %d files", len(removed))

    def _maybe_snapshot(self, force: bool = False) -> None:
        if self.snapshotting or (not force and self.txns_since_snap < self.config.snap_count):
            return
        self.snapshotting = True
        self.txns_since_snap = 0
        self.txnlog.roll()
        self.tasks.append(asyncio.create_task(self._snapshot()))

    async def _snapshot(self) -> None:
        zxid = self.core.tree.last_zxid
        pieces: list[bytes] = []
        try:
            for piece in snapshot.serialize(self.core.tree):
                pieces.append(piece)
                await asyncio.sleep(0)
            loop = asyncio.get_running_loop()
            path = await loop.run_in_executor(
                None, snapshot.write_snapshot, self.config.snap_dir, zxid, iter(pieces)
            )
            self.log.info("snapshot %s written", path.name)
        except OSError as exc:
            self.log.error("snapshot failed: %s", exc)
        finally:
            self.snapshotting = False


async def serve(config: ZkConfig, ready: asyncio.Event | None = None) -> ZkServer:
    server = ZkServer(config)
    await server.start()
    if ready is not None:
        ready.set()
    return server


__all__ = ["ZkServer", "serve"]
