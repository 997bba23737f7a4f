"""ZooKeeper-backed topic metadata for cluster mode: the :class:`TopicStore` over kazoo.

Every broker keeps one kazoo session. The store caches ``/brokers/topics/*``,
``/config/topics/*`` and ``/brokers/ids/*`` through watches, so the hot-path queries
(``topics()``, ``get()``, ``live_broker_ids()``) never block on ZooKeeper; changes write to
ZooKeeper and update the cache at once. Deleting a topic only queues ``/admin/delete_topics/T``:
the controller does the work, as in Kafka. Partition state znodes are read and written with
their version (compare-and-set), which is how a leader's ISR change loses to the controller's.

Watch callbacks run on kazoo's thread; they only replace whole dict entries.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError

from odradek.common.errors import ErrorCode, KafkaError
from odradek.controller import zk_paths as zp
from odradek.controller.assignment import Assignment, assign_replicas, continuation_start
from odradek.controller.metadata_store import TopicInfo, _new_cluster_id

log = logging.getLogger(__name__)

DEFAULT_BROKER_ENTITY = "<default>"


def connect_kazoo(connect: str, session_timeout_ms: int, timeout_s: float = 15.0) -> KazooClient:
    """Start a kazoo session on ``zookeeper.connect``, creating the chroot if it is missing."""
    hosts, chroot = zp.split_chroot(connect)
    zk = KazooClient(hosts=hosts, timeout=session_timeout_ms / 1000)
    zk.start(timeout=timeout_s)
    if chroot:
        zk.ensure_path(chroot)
        zk.chroot = chroot
    for path in zp.PERSISTENT_PATHS:
        zk.ensure_path(path)
    return zk


class ZkTopicStore:
    """A :class:`~odradek.controller.metadata_store.TopicStore` kept in ZooKeeper."""

    def __init__(self, zk: KazooClient, rng: random.Random | None = None) -> None:
        self.zk = zk
        self.rng = rng or random.Random()
        self.cluster_id = self._cluster_id()
        self._assignments: dict[str, zp.TopicAssignment] = {}
        self._configs: dict[str, dict[str, str]] = {}
        self._brokers: dict[int, zp.BrokerRegistration] = {}
        self._watched: set[str] = set()
        self.listeners: list[Callable[[str], None]] = []  # called on a topic's data change
        self.config_listeners: list[Callable[[str | None], None]] = []  # topic, None = broker
        self._broker_configs: dict[str, str] = {}
        zk.ChildrenWatch(zp.BROKER_TOPICS, self._on_topics)
        zk.ChildrenWatch(zp.BROKER_IDS, self._on_brokers)
        zk.DataWatch(f"{zp.CONFIG_BROKERS}/{DEFAULT_BROKER_ENTITY}", self._on_broker_configs)

    def _cluster_id(self) -> str:
        try:
            return zp.decode_cluster_id(self.zk.get(zp.CLUSTER_ID)[0])
        except NoNodeError:
            pass
        with contextlib.suppress(NodeExistsError):
            self.zk.create(zp.CLUSTER_ID, zp.encode_cluster_id(_new_cluster_id()), makepath=True)
        return zp.decode_cluster_id(self.zk.get(zp.CLUSTER_ID)[0])

    # ------------------------------------------------------------------ watches
    def _on_topics(self, children: list[str]) -> None:
        for name in children:
            if name not in self._watched:
                self._watched.add(name)
                self._watch_topic(name)
        for gone in set(self._assignments) - set(children):
            self._assignments.pop(gone, None)

    def _watch_topic(self, name: str) -> None:
        def on_topic(data: bytes | None, _stat: Any) -> bool | None:
            if data is None:
                self._assignments.pop(name, None)
                self._watched.discard(name)
                return False
            self._assignments[name] = zp.decode_topic(data)
            for listener in self.listeners:
                listener(name)
            return None

        def on_config(data: bytes | None, _stat: Any) -> bool | None:
            if name not in self._watched:
                return False
            fresh = zp.decode_config(data) if data else {}
            if fresh != self._configs.get(name):
                self._configs[name] = fresh
                for listener in self.config_listeners:
                    listener(name)
            return None

        self.zk.DataWatch(zp.topic_path(name), on_topic)
        self.zk.DataWatch(zp.topic_config_path(name), on_config)

    def _on_broker_configs(self, data: bytes | None, _stat: Any) -> None:
        fresh = zp.decode_config(data) if data else {}
        if fresh != self._broker_configs:
            self._broker_configs = fresh
            for listener in self.config_listeners:
                listener(None)

    def _on_brokers(self, children: list[str]) -> None:
        fresh: dict[int, zp.BrokerRegistration] = {}
        for child in children:
            try:
                data, _ = self.zk.get(zp.broker_path(int(child)))
            except (NoNodeError, ValueError):
                continue
            fresh[int(child)] = zp.decode_broker(int(child), data)
        self._brokers = fresh

    # ------------------------------------------------------------------ brokers
    def register_broker(self, reg: zp.BrokerRegistration) -> None:
        """Create the ephemeral ``/brokers/ids/N``; NODE_EXISTS if the id is taken."""
        try:
            self.zk.create(zp.broker_path(reg.node_id), zp.encode_broker(reg), ephemeral=True)
        except NodeExistsError:
            raise KafkaError(
                ErrorCode.UNKNOWN_SERVER_ERROR, f"broker id {reg.node_id} is already registered"
            ) from None
        self._brokers = {**self._brokers, reg.node_id: reg}

    def live_brokers(self) -> dict[int, zp.BrokerRegistration]:
        return dict(self._brokers)

    # ------------------------------------------------------------------ TopicStore
    def assignment(self, name: str) -> zp.TopicAssignment | None:
        return self._assignments.get(name)

    def _info(self, name: str, a: zp.TopicAssignment) -> TopicInfo:
        rf = len(a.partitions.get(0, ())) or 1
        return TopicInfo(name, a.topic_id, len(a.partitions), rf, dict(self._configs.get(name, {})))

    def topics(self) -> dict[str, TopicInfo]:
        return {n: self._info(n, a) for n, a in list(self._assignments.items())}

    def get(self, name: str) -> TopicInfo | None:
        a = self._assignments.get(name)
        return None if a is None else self._info(name, a)

    def create(self, info: TopicInfo, assignment: Assignment | None = None) -> None:
        """Write ``/config/topics/T`` and ``/brokers/topics/T`` in one transaction; the replicas
        are ``assignment`` when given (already validated), else the default placement."""
        replicas = (
            dict(assignment)
            if assignment
            else assign_replicas(
                sorted(self._brokers), info.partitions, info.replication_factor, self.rng
            )
        )
        a = zp.TopicAssignment(info.topic_id, replicas, {}, {})
        tx = self.zk.transaction()
        tx.create(zp.topic_config_path(info.name), zp.encode_config(info.configs))
        tx.create(zp.topic_path(info.name), zp.encode_topic(a))
        results = tx.commit()
        if any(isinstance(r, NodeExistsError) for r in results):
            raise KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, f"Topic '{info.name}' already exists.")
        if any(isinstance(r, Exception) for r in results):
            raise KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, f"creating {info.name}: {results}")
        self._configs[info.name] = dict(info.configs)
        self._assignments[info.name] = a

    def delete(self, name: str) -> None:
        with contextlib.suppress(NodeExistsError):
            self.zk.create(f"{zp.DELETE_TOPICS}/{name}", b"", makepath=True)

    def set_partitions(self, name: str, count: int, assignment: Assignment | None = None) -> None:
        """Add partitions up to ``count``: ``assignment`` for the new ones, else placed by
        continuing the existing layout (compare-and-set on the topic znode)."""
        data, stat = self.zk.get(zp.topic_path(name))
        a = zp.decode_topic(data)
        if a.adding or a.removing:
            raise KafkaError(
                ErrorCode.REASSIGNMENT_IN_PROGRESS,
                f"A partition reassignment is in progress for the topic '{name}'.",
            )
        rf = len(a.partitions.get(0, ())) or 1
        brokers = sorted(self._brokers)
        extra = (
            dict(assignment)
            if assignment
            else assign_replicas(
                brokers,
                count - len(a.partitions),
                rf,
                self.rng,
                len(a.partitions),
                continuation_start(brokers, a.partitions),
            )
        )
        a = replace(a, partitions={**a.partitions, **extra})
        try:
            self.zk.set(zp.topic_path(name), zp.encode_topic(a), version=stat.version)
        except BadVersionError:
            raise KafkaError(
                ErrorCode.REASSIGNMENT_IN_PROGRESS, "topic changed meanwhile"
            ) from None
        self._assignments[name] = a

    def set_assignment(self, name: str, a: zp.TopicAssignment) -> None:
        self.zk.set(zp.topic_path(name), zp.encode_topic(a))
        self._assignments[name] = a

    def set_configs(self, name: str, configs: dict[str, str]) -> None:
        self.zk.set(zp.topic_config_path(name), zp.encode_config(configs))
        self._configs[name] = dict(configs)
        self._config_change(f"topics/{name}")

    def _config_change(self, entity_path: str) -> None:
        doc = b'{"version":2,"entity_path":"' + entity_path.encode() + b'"}'
        self.zk.create(f"{zp.CONFIG_CHANGES}/config_change_", doc, sequence=True)

    def broker_configs(self) -> dict[str, str]:
        return dict(self._broker_configs)

    def set_broker_configs(self, configs: dict[str, str]) -> None:
        path = f"{zp.CONFIG_BROKERS}/{DEFAULT_BROKER_ENTITY}"
        self.zk.ensure_path(path)
        self.zk.set(path, zp.encode_config(configs))
        self._broker_configs = dict(configs)
        self._config_change(f"brokers/{DEFAULT_BROKER_ENTITY}")
        for listener in self.config_listeners:  # the watch sees no change on this broker
            listener(None)

    def allocate_producer_id_block(self, size: int) -> int:
        """Kafka's ``/latest_producer_id_block`` compare-and-set loop."""
        for _ in range(100):
            try:
                data, stat = self.zk.get(zp.PRODUCER_ID_BLOCK)
            except NoNodeError:
                try:
                    self.zk.create(zp.PRODUCER_ID_BLOCK, zp.encode_producer_block(-1, 0, size - 1))
                    return 0
                except NodeExistsError:
                    continue
            start = zp.decode_producer_block_end(data) + 1
            try:
                doc = zp.encode_producer_block(-1, start, start + size - 1)
                self.zk.set(zp.PRODUCER_ID_BLOCK, doc, version=stat.version)
                return start
            except BadVersionError:
                continue
        raise KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "cannot allocate a producer id block")

    # ------------------------------------------------------------------ partition state
    def partition_state(self, topic: str, partition: int) -> zp.PartitionState | None:
        try:
            data, stat = self.zk.get(zp.partition_state_path(topic, partition))
        except NoNodeError:
            return None
        return zp.decode_state(data, stat.version)

    def update_isr(self, topic: str, partition: int, state: zp.PartitionState) -> int | None:
        """Leader-side ISR change: CAS on the state znode; the new version, None if it lost."""
        path = zp.partition_state_path(topic, partition)
        try:
            stat = self.zk.set(path, zp.encode_state(state), version=state.zk_version)
        except (BadVersionError, NoNodeError):
            return None
        self.zk.create(
            f"{zp.ISR_CHANGES}/isr_change_",
            zp.encode_isr_change([(topic, partition)]),
            sequence=True,
        )
        return int(stat.version)
