"""The asyncio edge of an ensemble member: client listener, peer links, txn log, epochs.

Builds on the standalone :class:`~odradek.zk.server.ZkServer` (connections, 4lw, snapshots)
with an :class:`EnsembleCore` and a :class:`~odradek.zk.ensemble.peer.Peer`. Peer actions run in
order after every event: proposals are appended to the txn log and fsynced in groups (on the
loop thread while recent fsyncs took under a millisecond, else in a worker thread), then acked
(``Peer.logged``); committed txns are applied to the tree; SNAP and TRUNC rewrite the on-disk
state (a snapshot at the sync point, later logs removed). Epochs live in
``acceptedEpoch``/``currentEpoch`` files next to the snapshots, as in ZooKeeper. With
``readonlymode.enabled`` a member without a quorum serves read-only clients (4lw mode
``read-only``, ``isro`` answers ``ro``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from pathlib import Path

from odradek.zk import fourlw, snapshot
from odradek.zk.config import ZkConfig
from odradek.zk.connection import ClientConnection
from odradek.zk.ensemble import actions as A
from odradek.zk.ensemble.core import EnsembleCore
from odradek.zk.ensemble.messages import FOLLOWING, OBSERVING, STATE_NAMES, Message, Snap
from odradek.zk.ensemble.peer import Peer, PeerConfig
from odradek.zk.ensemble.transport import Transport
from odradek.zk.server import ZkServer, now_ms
from odradek.zk.tree import DataTree
from odradek.zk.txnlog import read_txns, sorted_files

NOT_SERVING = "This ZooKeeper instance is not currently serving requests\n"


def read_epoch(path: Path, default: int) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return default


def write_epoch(path: Path, value: int) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as f:
        f.write(f"{value}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class EnsembleServer(ZkServer):
    def __init__(self, config: ZkConfig) -> None:
        super().__init__(config)
        tree = self.core.tree
        default = tree.last_zxid >> 32
        config.snap_dir.mkdir(parents=True, exist_ok=True)
        accepted = read_epoch(config.snap_dir / "acceptedEpoch", default)
        current = read_epoch(config.snap_dir / "currentEpoch", default)
        servers = config.servers
        pcfg = PeerConfig(
            config.myid,
            frozenset(s for s, p in servers.items() if not p.observer),
            frozenset(s for s, p in servers.items() if p.observer),
            tick_ms=config.tick_time,
            init_limit=config.init_limit,
            sync_limit=config.sync_limit,
        )
        self.peer = Peer(pcfg, accepted, current, tree.last_zxid)
        self.core = EnsembleCore(
            self.core.config, tree, now_ms(), self.peer, read_only=config.read_only_mode
        )
        addrs = {s: (p.host, p.peer_port, p.election_port) for s, p in servers.items()}
        self.transport = Transport(config.myid, addrs, self._deliver)
        self.transport.on_closed = self._link_closed
        self.txns_since_snap = 0
        self.appended = 0  # newest zxid appended to the log
        self.fsyncing = False
        self.fsync_scheduled = False
        self.draining = False

    # -------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        await super().start()
        me = self.config.servers[self.config.myid]
        await self.transport.listen(me.host, me.peer_port, me.election_port)
        self.peer.start(now_ms())
        self._after_core()
        self.tasks.append(asyncio.create_task(self._quorum_ticker()))

    async def stop(self) -> None:
        self.transport.close()
        await super().stop()

    async def _quorum_ticker(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self.peer.tick(now_ms())
            self._after_core()

    def _deliver(self, sender: int, epoch: int, msg: Message, gap: bool) -> None:
        now = now_ms()
        if gap:
            self.peer.link_lost(sender, now)
        self.peer.receive(sender, epoch, msg, now)
        self._after_core()

    def _link_closed(self, sender: int) -> None:
        """The leader's connection ended (e.g. it died): look for a new one now, as ZooKeeper's
        followers do on a closed leader socket, instead of waiting ``syncLimit`` ticks."""
        if self.peer.state in (FOLLOWING, OBSERVING) and sender == self.peer.leader_id:
            self.peer.link_lost(sender, now_ms())
            self._after_core()

    # -------------------------------------------------------------- clients
    @property
    def read_only(self) -> bool:
        core = self.core
        return isinstance(core, EnsembleCore) and core.read_only

    def info(self) -> fourlw.ServerInfo:
        mode = fourlw.READ_ONLY if self.read_only else STATE_NAMES[self.peer.state]
        return dataclasses.replace(super().info(), mode=mode)

    def four_letter(self, conn: ClientConnection, word: str) -> None:
        busy = {"srvr", "stat", "mntr", "cons", "wchs", "dump", "isro"}
        if self.peer.serving or self.read_only or word not in busy:
            super().four_letter(conn, word)
            return
        allowed = word in self.config.four_letter_words
        # isro answers "null" while no server runs, as Apache's: clients looking for a
        # read-write server must not take an electing member for one
        conn.write([b"null" if word == "isro" and allowed else NOT_SERVING.encode()])
        conn.close()

    # -------------------------------------------------------------- peer actions
    def _after_core(self) -> None:
        if not self.draining:
            self.draining = True
            try:
                while self.peer.out:
                    out, self.peer.out = self.peer.out, []
                    for act in out:
                        self._execute(act)
            finally:
                self.draining = False
        super()._after_core()

    def _execute(self, act: A.Action) -> None:
        now = now_ms()
        core = self.core
        assert isinstance(core, EnsembleCore)
        if isinstance(act, A.Send):
            self.transport.send(act.to, act.epoch, act.msg)
        elif isinstance(act, A.LogTxn):
            self.txnlog.append(act.txn)
            self.appended = act.txn.zxid
            self._schedule_fsync()
        elif isinstance(act, A.ApplyTxn):
            core.apply_committed(act.txn, now)
        elif isinstance(act, A.SendSnap):
            data = b"".join(snapshot.serialize(core.tree))
            self.transport.send(act.to, act.epoch, Snap(core.tree.last_zxid, data))
        elif isinstance(act, A.LoadSnap):
            path = snapshot.write_snapshot(self.config.snap_dir, act.zxid, iter([act.data]))
            tree = snapshot.load(path)
            tree.last_zxid = act.zxid
            self._reset_files(act.zxid, tree, now)
        elif isinstance(act, A.Truncate):
            self._reset_files(act.zxid, self._restore_upto(act.zxid), now)
        elif isinstance(act, A.SaveEpochs):
            write_epoch(self.config.snap_dir / "acceptedEpoch", act.accepted)
            write_epoch(self.config.snap_dir / "currentEpoch", act.current)
        elif isinstance(act, A.RoleChange):
            self.log.info("quorum state %s (leader %d)", STATE_NAMES[act.state], act.leader)
            core.role_changed(now)
        elif isinstance(act, A.Forwarded):
            r = act.request
            core.propose(r.session_id, r.cxid, r.op, r.payload, list(r.auth), now)
        elif isinstance(act, A.Touch):
            for sid, _timeout in act.sessions:
                core.sessions.touch(sid, now)
        elif isinstance(act, A.SyncReady):
            core.sync_ready(act.token)

    # -------------------------------------------------------------- txn log
    def _schedule_fsync(self) -> None:
        if not self.fsync_scheduled and not self.fsyncing:
            self.fsync_scheduled = True
            asyncio.get_running_loop().call_soon(self._fsync)

    def _fsync(self) -> None:
        self.fsync_scheduled = False
        if self.fsyncing or self.closed:
            return
        target = self.appended
        fd = self.txnlog.write_pending()
        if fd < 0:
            return
        self.fsyncing = True
        self._sync_then(fd, lambda: self._fsynced(target))

    def _fsynced(self, target: int) -> None:
        self.fsyncing = False
        if self.closed:
            return
        self.txns_since_snap += 1
        self.peer.logged(target)
        self._after_core()
        self._maybe_snapshot()
        if self.txnlog.pending:
            self._schedule_fsync()

    # -------------------------------------------------------------- SNAP / TRUNC
    def _restore_upto(self, zxid: int) -> DataTree:
        """The tree as of ``zxid`` from the newest snapshot not after it plus the log."""
        self.txnlog.roll()
        tree, start = DataTree(), 0
        for sz, path in reversed(sorted_files(self.config.snap_dir, "snapshot")):
            if sz > zxid:
                continue
            with contextlib.suppress(Exception):
                tree, start = snapshot.load(path), sz
                tree.last_zxid = sz
                break
        for txn in read_txns(self.config.log_dir, start):
            if txn.zxid > zxid:
                break
            tree.apply(txn)
        return tree

    def _reset_files(self, zxid: int, tree: DataTree, now: int) -> None:
        """Make ``tree`` (as of ``zxid``) the whole on-disk state, then serve from it."""
        self.txnlog.roll()
        tree.last_zxid = zxid
        snapshot.write_snapshot(self.config.snap_dir, zxid, snapshot.serialize(tree))
        for _z, path in sorted_files(self.config.log_dir, "log"):
            path.unlink(missing_ok=True)
        for sz, path in sorted_files(self.config.snap_dir, "snapshot"):
            if sz > zxid:
                path.unlink(missing_ok=True)
        core = self.core
        assert isinstance(core, EnsembleCore)
        core.install_tree(tree, now)
        self.appended = zxid
