"""ControllerContext: the controller's in-memory copy of the cluster, and the requests it implies.

Holds the live brokers, each topic's replica assignment and each partition's state as last
read from or written to ZooKeeper. The ``*_for`` methods turn a set of partitions into the
LeaderAndIsr (to each live replica), UpdateMetadata (to every live broker) and StopReplica
requests the controller sends.
"""

from __future__ import annotations

from odradek.controller import zk_paths as zp
from odradek.controller.channel import Outgoing
from odradek.replication import wire

TopicPartition = tuple[str, int]


class ControllerContext:
    def __init__(self) -> None:
        self.live: dict[int, zp.BrokerRegistration] = {}
        self.assignments: dict[str, zp.TopicAssignment] = {}
        self.states: dict[TopicPartition, zp.PartitionState] = {}

    def replicas(self, tp: TopicPartition) -> tuple[int, ...]:
        a = self.assignments.get(tp[0])
        return a.partitions.get(tp[1], ()) if a is not None else ()

    def all_partitions(self) -> list[TopicPartition]:
        return sorted((t, p) for t, a in self.assignments.items() for p in a.partitions)

    def forget_topic(self, name: str) -> None:
        self.assignments.pop(name, None)
        for tp in [tp for tp in self.states if tp[0] == name]:
            del self.states[tp]

    def needing_election(self) -> list[TopicPartition]:
        """Partitions whose leader is offline or whose ISR holds an offline replica."""
        out = []
        for tp, st in sorted(self.states.items()):
            if st.leader not in self.live or any(r not in self.live for r in st.isr):
                out.append(tp)
        return out

    def _msg(self, tp: TopicPartition, is_new: bool = False) -> wire.PartitionStateMsg | None:
        st = self.states.get(tp)
        if st is None:
            return None
        replicas = self.replicas(tp)
        offline = tuple(r for r in replicas if r not in self.live)
        return wire.PartitionStateMsg(
            tp[0], tp[1], st.controller_epoch, st.leader, st.leader_epoch, st.isr,
            st.zk_version, replicas, is_new, offline,
        )  # fmt: skip

    def _endpoint(self, node: int) -> wire.LiveBroker | None:
        r = self.live.get(node)
        return None if r is None else wire.LiveBroker(r.node_id, r.host, r.port, r.rack)

    def leader_and_isr_for(
        self, tps: list[TopicPartition], epoch: int, controller_id: int, is_new: bool
    ) -> list[Outgoing]:
        per_broker: dict[int, list[wire.PartitionStateMsg]] = {}
        for tp in tps:
            msg = self._msg(tp, is_new)
            if msg is None:
                continue
            for r in msg.replicas:
                if r in self.live:
                    per_broker.setdefault(r, []).append(msg)
        out = []
        header = wire.ControlHeader(controller_id, epoch)
        for broker, msgs in sorted(per_broker.items()):
            leaders = {m.leader for m in msgs}
            live_leaders = [e for x in sorted(leaders) if (e := self._endpoint(x)) is not None]
            body = wire.encode_leader_and_isr(wire.LeaderAndIsrRequest(header, msgs, live_leaders))
            out.append(Outgoing(broker, wire.LEADER_AND_ISR, wire.LEADER_AND_ISR_VERSION, body))
        return out

    def update_metadata_for(
        self, tps: list[TopicPartition], epoch: int, controller_id: int, deleting: bool = False
    ) -> list[Outgoing]:
        msgs = []
        for tp in tps:
            msg = self._msg(tp)
            if msg is None:
                continue
            if deleting:
                msg = wire.PartitionStateMsg(
                    tp[0], tp[1], msg.controller_epoch, -2, msg.leader_epoch, msg.isr,
                    msg.zk_version, msg.replicas, False, msg.offline,
                )  # fmt: skip
            msgs.append(msg)
        brokers = [e for b in sorted(self.live) if (e := self._endpoint(b)) is not None]
        req = wire.UpdateMetadataRequest(wire.ControlHeader(controller_id, epoch), msgs, brokers)
        body = wire.encode_update_metadata(req)
        return [
            Outgoing(b.node_id, wire.UPDATE_METADATA, wire.UPDATE_METADATA_VERSION, body)
            for b in brokers
        ]

    def stop_replicas_for(
        self, tps: list[TopicPartition], epoch: int, controller_id: int, delete: bool
    ) -> list[Outgoing]:
        per_broker: dict[int, list[TopicPartition]] = {}
        for tp in tps:
            for r in self.replicas(tp):
                if r in self.live:
                    per_broker.setdefault(r, []).append(tp)
        header = wire.ControlHeader(controller_id, epoch)
        return [
            Outgoing(
                b,
                wire.STOP_REPLICA,
                wire.STOP_REPLICA_VERSION,
                wire.encode_stop_replica(wire.StopReplicaRequest(header, delete, parts)),
            )
            for b, parts in sorted(per_broker.items())
        ]

    def stop_replica_on(
        self,
        brokers: list[int],
        tps: list[TopicPartition],
        epoch: int,
        controller_id: int,
        delete: bool,
    ) -> list[Outgoing]:
        header = wire.ControlHeader(controller_id, epoch)
        body = wire.encode_stop_replica(wire.StopReplicaRequest(header, delete, tps))
        return [
            Outgoing(b, wire.STOP_REPLICA, wire.STOP_REPLICA_VERSION, body) for b in sorted(brokers)
        ]
