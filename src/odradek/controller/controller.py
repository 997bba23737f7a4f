"""KafkaController (ZooKeeper mode): election, then one event queue that owns cluster metadata.

Election: every broker watches ``/controller``; when it is absent a broker creates it (ephemeral)
and, if it wins, increments ``/controller_epoch`` (compare-and-set). Every partition state write
of the controller is a ZooKeeper ``multi`` that also checks the ``/controller_epoch`` version, so
a controller that lost its session cannot overwrite a newer controller's decisions.

Events (from kazoo watches, posted to the asyncio loop and handled one at a time, the blocking
ZooKeeper work running in a worker thread): broker set changed, topics created, partitions
added, topics queued for deletion, ISR change notifications, reassignment requests. Each event
updates the :class:`ControllerContext`, writes partition states and yields the LeaderAndIsr /
UpdateMetadata / StopReplica requests that the :class:`ControllerChannel` sends.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError, RolledBackError

from odradek.common.errors import ErrorCode, KafkaError
from odradek.controller import election
from odradek.controller import zk_paths as zp
from odradek.controller.admin_ops import AdminOps
from odradek.controller.channel import ControllerChannel, Outgoing
from odradek.controller.context import ControllerContext
from odradek.controller.zk_store import ZkTopicStore

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]


class ControllerFenced(Exception):
    """Another controller took over (the epoch check of a write failed)."""


class KafkaController(AdminOps):
    def __init__(
        self,
        zk: KazooClient,
        store: ZkTopicStore,
        node_id: int,
        unclean: Callable[[str], bool],
        on_session_renewed: Callable[[], None] | None = None,
    ) -> None:
        self.zk = zk
        self.store = store
        self.node_id = node_id
        self.unclean = unclean
        self.on_session_renewed = on_session_renewed
        self.active = False
        self.current_id = -1  # the controller as last seen in /controller
        self.epoch = -1
        self.epoch_version = -1
        self.ctx = ControllerContext()
        self.channel = ControllerChannel(node_id)
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = False
        self._result: Any = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="controller")
        self.zk.add_listener(self._on_state)
        self.zk.DataWatch(zp.CONTROLLER, self._on_controller_node)
        self.zk.ChildrenWatch(zp.BROKER_IDS, lambda _c: self.post("brokers"))
        self.zk.ChildrenWatch(zp.BROKER_TOPICS, lambda _c: self.post("topics"))
        self.zk.ChildrenWatch(zp.DELETE_TOPICS, lambda _c: self.post("delete"))
        self.zk.ChildrenWatch(zp.ISR_CHANGES, lambda _c: self.post("isr"))
        self.zk.DataWatch(zp.REASSIGN_PARTITIONS, self._on_reassign_node)
        self.store.listeners.append(lambda name: self.post("topic", name))

    async def stop(self) -> None:
        if self.active:
            await self.channel.drain(5.0)
        if self._task is not None:
            self._task.cancel()
        if self.active:
            self.active = False
            try:
                data, _ = await asyncio.to_thread(self.zk.get, zp.CONTROLLER)
                if zp.decode_controller(data) == self.node_id:
                    await asyncio.to_thread(self.zk.delete, zp.CONTROLLER)
            except Exception as exc:  # session may be gone already
                log.debug("resigning: %s", exc)
        await self.channel.close()

    def _on_controller_node(self, data: bytes | None, _stat: Any) -> None:
        self.current_id = zp.decode_controller(data) if data else -1
        self.post("elect")

    def _on_reassign_node(self, data: bytes | None, _stat: Any) -> None:
        if data:
            self.post("reassign_znode")

    async def call(self, kind: str, arg: Any) -> Any:
        """Run an admin operation on the controller; NOT_CONTROLLER if this broker is not it."""
        if not self.active or self._loop is None:
            raise KafkaError(
                ErrorCode.NOT_CONTROLLER, f"broker {self.node_id} is not the controller"
            )
        fut: asyncio.Future[Any] = self._loop.create_future()
        self.post(kind, (arg, fut))
        return await fut

    def post(self, kind: str, arg: Any = None) -> None:
        """Thread-safe: queue an event for the controller loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._queue.put_nowait, (kind, arg))

    def _on_state(self, state: str) -> None:
        if state == KazooState.LOST:
            self._lost = True
            self.post("lost")
        elif state == KazooState.CONNECTED and self._lost:
            self._lost = False
            self.post("renewed")

    async def _run(self) -> None:
        while True:
            kind, arg = await self._queue.get()
            fut: asyncio.Future[Any] | None = None
            if kind in ("reassign", "elect_leaders", "controlled_shutdown"):
                arg, fut = arg
            try:
                out = await asyncio.to_thread(self._process, kind, arg)
            except ControllerFenced:
                log.warning("controller %d fenced by a newer controller; resigning", self.node_id)
                self.active = False
                out = []
            except Exception as exc:
                log.exception("controller event %s failed", kind)
                if fut is not None and not fut.done():
                    fut.set_exception(exc)
                continue
            if fut is not None and not fut.done():
                if self.active:
                    fut.set_result(self._result)
                else:
                    fut.set_exception(KafkaError(ErrorCode.NOT_CONTROLLER, "not the controller"))
            if self.active:
                self.channel.set_brokers({b: (r.host, r.port) for b, r in self.ctx.live.items()})
            for item in out:
                self.channel.send(item)

    # ------------------------------------------------------------------ events (worker thread)
    def _process(self, kind: str, arg: Any) -> list[Outgoing]:
        if kind == "lost":
            self.active = False
            return []
        if kind == "renewed":
            if self.on_session_renewed is not None:
                self.on_session_renewed()
            return self._elect()
        if kind == "elect":
            return self._elect()
        if not self.active:
            return []
        if kind == "reassign":
            out, self._result = self._reassign(arg)
            return out
        if kind == "elect_leaders":
            out, self._result = self._elect_leaders(arg[0], arg[1])
            return out
        if kind == "controlled_shutdown":
            out, self._result = self._controlled_shutdown(arg)
            return out
        handler = {
            "brokers": self._on_brokers,
            "topics": self._on_topics,
            "topic": self._on_topics,
            "delete": self._on_delete,
            "isr": self._on_isr_changes,
            "reassign_znode": self._on_reassign_znode,
            "rebalance": self._auto_rebalance,
        }[kind]
        return handler()

    def _elect(self) -> list[Outgoing]:
        try:
            data, _ = self.zk.get(zp.CONTROLLER)
            current = zp.decode_controller(data)
            if current != self.node_id:
                self.active = False
            return []
        except NoNodeError:
            pass
        try:
            self.zk.create(zp.CONTROLLER, zp.encode_controller(self.node_id), ephemeral=True)
        except NodeExistsError:
            self.active = False
            return []
        self._bump_epoch()
        log.info("broker %d is the controller (epoch %d)", self.node_id, self.epoch)
        self.active = True
        return self._failover()

    def _bump_epoch(self) -> None:
        while True:
            try:
                data, stat = self.zk.get(zp.CONTROLLER_EPOCH)
            except NoNodeError:
                try:
                    self.zk.create(zp.CONTROLLER_EPOCH, b"1")
                    self.epoch, self.epoch_version = 1, 0
                    return
                except NodeExistsError:
                    continue
            try:
                new = int(data.decode() or 0) + 1
                st = self.zk.set(zp.CONTROLLER_EPOCH, str(new).encode(), version=stat.version)
                self.epoch, self.epoch_version = new, st.version
                return
            except BadVersionError:
                continue

    # ------------------------------------------------------------------ reading ZooKeeper
    def _read_brokers(self) -> dict[int, zp.BrokerRegistration]:
        out = {}
        for child in self.zk.get_children(zp.BROKER_IDS):
            try:
                data, stat = self.zk.get(zp.broker_path(int(child)))
            except (NoNodeError, ValueError):
                continue
            reg = zp.decode_broker(int(child), data)
            out[int(child)] = dataclasses.replace(reg, epoch=int(stat.czxid))
        return out

    def _read_topic(self, name: str) -> None:
        try:
            self.ctx.assignments[name] = zp.decode_topic(self.zk.get(zp.topic_path(name))[0])
        except NoNodeError:
            self.ctx.forget_topic(name)
            return
        for p in self.ctx.assignments[name].partitions:
            self._read_state((name, p))

    def _read_state(self, tp: TopicPartition) -> zp.PartitionState | None:
        try:
            data, stat = self.zk.get(zp.partition_state_path(*tp))
        except NoNodeError:
            self.ctx.states.pop(tp, None)
            return None
        st = self.ctx.states[tp] = zp.decode_state(data, stat.version)
        return st

    # ------------------------------------------------------------------ writing states
    def _write_state(self, tp: TopicPartition, st: zp.PartitionState, create: bool) -> bool:
        """Epoch-fenced write of a partition state; False if the znode changed meanwhile."""
        path = zp.partition_state_path(*tp)
        if create:
            self.zk.ensure_path(path.rsplit("/", 1)[0])
        tx = self.zk.transaction()
        tx.check(zp.CONTROLLER_EPOCH, self.epoch_version)
        if create:
            tx.create(path, zp.encode_state(st))
        else:
            tx.set_data(path, zp.encode_state(st), version=st.zk_version)
        results = tx.commit()
        if isinstance(results[0], Exception) and not isinstance(results[0], RolledBackError):
            raise ControllerFenced()
        if isinstance(results[1], Exception):
            return False
        version = 0 if create else int(results[1].version)
        self.ctx.states[tp] = zp.PartitionState(
            st.leader, st.leader_epoch, st.isr, st.controller_epoch, version
        )
        return True

    def _change(
        self,
        tp: TopicPartition,
        decide: Callable[[zp.PartitionState], tuple[int, tuple[int, ...]] | None],
        force: bool = False,
    ) -> bool:
        """Re-read the state, apply ``decide`` → (leader, isr), write with a new leader epoch."""
        for _ in range(5):
            cur = self._read_state(tp)
            if cur is None:
                return False
            choice = decide(cur)
            if choice is None:
                return False
            leader, isr = choice
            if (leader, isr) == (cur.leader, cur.isr) and not force:
                return False
            new = zp.PartitionState(leader, cur.leader_epoch + 1, isr, self.epoch, cur.zk_version)
            if self._write_state(tp, new, create=False):
                log.info(
                    "%s-%d: leader %d -> %d, epoch %d, isr %s",
                    *tp, cur.leader, leader, new.leader_epoch, list(isr),
                )  # fmt: skip
                return True
        return False

    def _init_partition(self, tp: TopicPartition) -> bool:
        replicas = self.ctx.replicas(tp)
        choice = election.new_partition(replicas, self.ctx.live)
        leader, isr = choice if choice is not None else (-1, tuple(replicas))
        st = zp.PartitionState(leader, 0, isr, self.epoch)
        try:
            return self._write_state(tp, st, create=True)
        except NodeExistsError:
            return False

    def _elect_offline(self, tps: list[TopicPartition]) -> list[TopicPartition]:
        live = self.ctx.live
        changed = []
        for tp in tps:
            decide = functools.partial(
                _offline_decision, self.ctx.replicas(tp), set(live), self.unclean(tp[0])
            )
            if self._change(tp, decide):
                changed.append(tp)
        return changed

    # ------------------------------------------------------------------ event handlers
    def _failover(self) -> list[Outgoing]:
        self.ctx = ControllerContext()
        self.ctx.live = self._read_brokers()
        for name in self.zk.get_children(zp.BROKER_TOPICS):
            self._read_topic(name)
        out = self._on_delete()
        for tp in self.ctx.all_partitions():
            if tp not in self.ctx.states:
                self._init_partition(tp)
        self._elect_offline(self.ctx.needing_election())
        everything = self.ctx.all_partitions()
        out += self.ctx.leader_and_isr_for(everything, self.epoch, self.node_id, is_new=False)
        out += self.ctx.update_metadata_for(everything, self.epoch, self.node_id)
        return out

    def _on_brokers(self) -> list[Outgoing]:
        epochs = {b: r.epoch for b, r in self.ctx.live.items()}
        before = set(epochs)
        self.ctx.live = self._read_brokers()
        # a broker that re-registered (new czxid) restarted: it needs its partitions again
        bounced = {b for b, r in self.ctx.live.items() if b in epochs and epochs[b] != r.epoch}
        new = (set(self.ctx.live) - before) | bounced
        dead = before - set(self.ctx.live)
        if not new and not dead:
            return []
        log.info(
            "brokers: new %s, dead %s, live %s", sorted(new), sorted(dead), sorted(self.ctx.live)
        )
        changed = self._elect_offline(self.ctx.needing_election())
        out = self.ctx.update_metadata_for(self.ctx.all_partitions(), self.epoch, self.node_id)
        hosted = [tp for tp in self.ctx.all_partitions() if set(self.ctx.replicas(tp)) & new]
        targets = set(changed) | set(hosted)
        out += self.ctx.leader_and_isr_for(sorted(targets), self.epoch, self.node_id, is_new=False)
        return out

    def _on_topics(self) -> list[Outgoing]:
        names = set(self.zk.get_children(zp.BROKER_TOPICS))
        for gone in set(self.ctx.assignments) - names:
            self.ctx.forget_topic(gone)
        fresh: list[TopicPartition] = []
        for name in sorted(names):
            known = self.ctx.assignments.get(name)
            before = set(known.partitions) if known is not None else set()
            self._read_topic(name)
            a = self.ctx.assignments.get(name)
            if a is None:
                continue
            for p in sorted(set(a.partitions) - before):
                tp = (name, p)
                if tp not in self.ctx.states:
                    self._init_partition(tp)
                fresh.append(tp)
        if not fresh:
            return []
        out = self.ctx.leader_and_isr_for(fresh, self.epoch, self.node_id, is_new=True)
        out += self.ctx.update_metadata_for(fresh, self.epoch, self.node_id)
        return out

    def _on_delete(self) -> list[Outgoing]:
        out: list[Outgoing] = []
        for name in self.zk.get_children(zp.DELETE_TOPICS):
            tps = [tp for tp in self.ctx.all_partitions() if tp[0] == name]
            out += self.ctx.stop_replicas_for(tps, self.epoch, self.node_id, delete=True)
            out += self.ctx.update_metadata_for(tps, self.epoch, self.node_id, deleting=True)
            if self.zk.exists(zp.topic_path(name)):
                self.zk.delete(zp.topic_path(name), recursive=True)
            if self.zk.exists(zp.topic_config_path(name)):
                self.zk.delete(zp.topic_config_path(name))
            self.zk.delete(f"{zp.DELETE_TOPICS}/{name}")
            self.ctx.forget_topic(name)
            log.info("deleted topic %s", name)
        return out

    def _on_isr_changes(self) -> list[Outgoing]:
        tps: set[TopicPartition] = set()
        for child in self.zk.get_children(zp.ISR_CHANGES):
            path = f"{zp.ISR_CHANGES}/{child}"
            try:
                tps.update(zp.decode_isr_change(self.zk.get(path)[0]))
                self.zk.delete(path)
            except NoNodeError:
                continue
        known = [tp for tp in sorted(tps) if tp[0] in self.ctx.assignments]
        for tp in known:
            self._read_state(tp)
        out = self.ctx.update_metadata_for(known, self.epoch, self.node_id)
        return out + self._complete_reassignments(known)

    def _on_reassign_znode(self) -> list[Outgoing]:
        """The ZooKeeper path of reassignment: consume ``/admin/reassign_partitions``."""
        try:
            data, _ = self.zk.get(zp.REASSIGN_PARTITIONS)
        except NoNodeError:
            return []
        moves: dict[TopicPartition, tuple[int, ...] | None] = dict(zp.decode_reassignment(data))
        self.zk.delete(zp.REASSIGN_PARTITIONS)
        out, results = self._reassign(moves)
        failed = {tp: code for tp, code in results.items() if code}
        if failed:
            log.warning("reassignment znode: rejected %s", failed)
        return out

    def _write_assignment(self, topic: str, a: zp.TopicAssignment) -> None:
        self.zk.set(zp.topic_path(topic), zp.encode_topic(a))
        self.ctx.assignments[topic] = a


def _offline_decision(
    replicas: tuple[int, ...], live: set[int], unclean: bool, cur: zp.PartitionState
) -> tuple[int, tuple[int, ...]]:
    """Keep a live leader (dropping offline ISR members), else elect from the ISR."""
    if cur.leader in live:
        return cur.leader, election.without(
            cur.isr, {r for r in cur.isr if r not in live}, cur.leader
        )
    choice = election.offline(replicas, cur.isr, live, unclean)
    return choice if choice is not None else (-1, cur.isr)
