"""Controller operations requested by admin clients: partition reassignment (KIP-455) and leader
elections (preferred / unclean), mixed into :class:`~odradek.controller.controller.KafkaController`.

Reassignment of a partition from replicas ORS to TRS:

1. the topic znode gets ``partitions[p] = TRS + (ORS - TRS)``, ``adding_replicas[p] = TRS - ORS``,
   ``removing_replicas[p] = ORS - TRS``; the leader epoch is bumped and LeaderAndIsr goes to every
   replica, so the new ones create their logs and start fetching;
2. when every replica of TRS is in the ISR (checked on ISR change notifications), a leader is
   chosen in TRS (the current one if it is there), the ISR becomes ``ISR ∩ TRS``, the znode gets
   ``partitions[p] = TRS`` with no adding/removing, and the removed replicas get StopReplica with
   deletion.

Cancelling (replicas = null) reassigns back to ORS. These methods run on the controller's worker
thread, like every other controller event.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from odradek.common.errors import ErrorCode
from odradek.controller import election
from odradek.controller import zk_paths as zp
from odradek.controller.channel import Outgoing

if TYPE_CHECKING:
    from collections.abc import Callable

    from odradek.controller.context import ControllerContext

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]
Moves = dict[TopicPartition, tuple[int, ...] | None]
Results = dict[TopicPartition, int]


def original_replicas(a: zp.TopicAssignment, p: int) -> tuple[int, ...]:
    adding = a.adding.get(p, ())
    return tuple(r for r in a.partitions.get(p, ()) if r not in adding)


def target_replicas(a: zp.TopicAssignment, p: int) -> tuple[int, ...]:
    removing = a.removing.get(p, ())
    return tuple(r for r in a.partitions.get(p, ()) if r not in removing)


def in_progress(a: zp.TopicAssignment, p: int) -> bool:
    return bool(a.adding.get(p) or a.removing.get(p))


class AdminOps:
    # provided by KafkaController
    ctx: ControllerContext
    epoch: int
    node_id: int

    if TYPE_CHECKING:

        def _change(
            self,
            tp: TopicPartition,
            decide: Callable[[zp.PartitionState], tuple[int, tuple[int, ...]] | None],
            force: bool = False,
        ) -> bool: ...

        def _write_assignment(self, topic: str, a: zp.TopicAssignment) -> None: ...

    # ------------------------------------------------------------------ reassignment
    def _reassign(self, moves: Moves) -> tuple[list[Outgoing], Results]:
        results: Results = {}
        touched: dict[str, zp.TopicAssignment] = {}
        started: list[TopicPartition] = []
        for tp, wanted in sorted(moves.items(), key=lambda m: m[0]):
            a = touched.get(tp[0]) or self.ctx.assignments.get(tp[0])
            if a is None or tp[1] not in a.partitions:
                results[tp] = int(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                continue
            original = original_replicas(a, tp[1])
            if wanted is None:
                if not in_progress(a, tp[1]):
                    results[tp] = int(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS)
                    continue
                wanted = original
            if (
                not wanted
                or len(set(wanted)) != len(wanted)
                or any(r not in self.ctx.live for r in wanted if r not in original)
            ):
                results[tp] = int(ErrorCode.INVALID_REPLICA_ASSIGNMENT)
                continue
            full = tuple(wanted) + tuple(r for r in original if r not in wanted)
            touched[tp[0]] = _with_partition(
                a,
                tp[1],
                full,
                tuple(r for r in wanted if r not in original),
                tuple(r for r in original if r not in wanted),
            )
            results[tp] = 0
            started.append(tp)
        for topic, a in touched.items():
            self._write_assignment(topic, a)
        for tp in started:
            self._change(tp, lambda cur: (cur.leader, cur.isr), force=True)
            log.info("%s-%d: reassigning to %s", *tp, list(target_replicas(touched[tp[0]], tp[1])))
        out = self.ctx.leader_and_isr_for(started, self.epoch, self.node_id, is_new=False)
        out += self.ctx.update_metadata_for(started, self.epoch, self.node_id)
        out += self._complete_reassignments(started)
        return out, results

    def _complete_reassignments(self, tps: list[TopicPartition]) -> list[Outgoing]:
        done: list[TopicPartition] = []
        removed: list[tuple[TopicPartition, tuple[int, ...]]] = []
        for tp in tps:
            a = self.ctx.assignments.get(tp[0])
            if a is None or not in_progress(a, tp[1]):
                continue
            target = target_replicas(a, tp[1])
            st = self.ctx.states.get(tp)
            if st is None or not all(r in st.isr for r in target):
                continue
            decide = functools.partial(_finish_decision, target, set(self.ctx.live))
            gone = a.removing.get(tp[1], ())
            self._write_assignment(tp[0], _with_partition(a, tp[1], target, (), ()))
            self._change(tp, decide, force=True)
            log.info("%s-%d: reassignment to %s complete", *tp, list(target))
            done.append(tp)
            removed.append((tp, gone))
        out = self.ctx.leader_and_isr_for(done, self.epoch, self.node_id, is_new=False)
        for tp, gone in removed:
            live_gone = [r for r in gone if r in self.ctx.live]
            out += self.ctx.stop_replica_on(live_gone, [tp], self.epoch, self.node_id, delete=True)
        out += self.ctx.update_metadata_for(done, self.epoch, self.node_id)
        return out

    def ongoing(self) -> list[TopicPartition]:
        return [
            (t, p)
            for t, a in self.ctx.assignments.items()
            for p in a.partitions
            if in_progress(a, p)
        ]

    # ------------------------------------------------------------------ elections
    def _elect_leaders(
        self, tps: list[TopicPartition] | None, unclean: bool
    ) -> tuple[list[Outgoing], Results]:
        results: Results = {}
        changed: list[TopicPartition] = []
        live = set(self.ctx.live)
        for tp in tps if tps is not None else self.ctx.all_partitions():
            replicas = self.ctx.replicas(tp)
            st = self.ctx.states.get(tp)
            if not replicas or st is None:
                results[tp] = int(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
                continue
            if unclean:
                if st.leader in live:
                    results[tp] = int(ErrorCode.ELECTION_NOT_NEEDED)
                    continue
                choice = election.offline(replicas, st.isr, live, unclean=True)
            else:
                if st.leader == replicas[0]:
                    results[tp] = int(ErrorCode.ELECTION_NOT_NEEDED)
                    continue
                choice = election.preferred(replicas, st.isr, live)
            if choice is None:
                code = ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE
                if not unclean:
                    code = ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE
                results[tp] = int(code)
                continue
            if self._change(tp, functools.partial(_constant, choice)):
                changed.append(tp)
            results[tp] = 0
        out = self.ctx.leader_and_isr_for(changed, self.epoch, self.node_id, is_new=False)
        out += self.ctx.update_metadata_for(changed, self.epoch, self.node_id)
        return out, results

    # ------------------------------------------------------------------ controlled shutdown
    def _controlled_shutdown(self, broker: int) -> tuple[list[Outgoing], list[TopicPartition]]:
        """Move leadership off ``broker`` and take it out of the ISRs before it stops."""
        live = set(self.ctx.live)
        moved: list[TopicPartition] = []
        followed: list[TopicPartition] = []
        for tp, st in sorted(self.ctx.states.items()):
            replicas = self.ctx.replicas(tp)
            if st.leader == broker:
                decide = functools.partial(_shutdown_decision, replicas, live, broker)
                if self._change(tp, decide):
                    moved.append(tp)
            elif (
                broker in st.isr
                and st.leader in live
                and self._change(tp, functools.partial(_drop_from_isr, broker))
            ):
                followed.append(tp)
        out = self.ctx.leader_and_isr_for(moved + followed, self.epoch, self.node_id, False)
        out += self.ctx.stop_replica_on([broker], followed, self.epoch, self.node_id, False)
        out += self.ctx.update_metadata_for(moved + followed, self.epoch, self.node_id)
        remaining = [tp for tp, st in sorted(self.ctx.states.items()) if st.leader == broker]
        log.info("controlled shutdown of %d: moved %d leaders, %d still led there",
                 broker, len(moved), len(remaining))  # fmt: skip
        return out, remaining

    def _auto_rebalance(self) -> list[Outgoing]:
        """Preferred-leader election for partitions led elsewhere (auto.leader.rebalance)."""
        candidates = [
            tp
            for tp, st in self.ctx.states.items()
            if (r := self.ctx.replicas(tp))
            and st.leader != r[0]
            and r[0] in self.ctx.live
            and r[0] in st.isr
            and not in_progress(self.ctx.assignments[tp[0]], tp[1])
        ]
        if not candidates:
            return []
        return self._elect_leaders(sorted(candidates), unclean=False)[0]


def _with_partition(
    a: zp.TopicAssignment,
    p: int,
    replicas: tuple[int, ...],
    adding: tuple[int, ...],
    removing: tuple[int, ...],
) -> zp.TopicAssignment:
    def put(d: dict[int, tuple[int, ...]], value: tuple[int, ...]) -> dict[int, tuple[int, ...]]:
        out = {k: v for k, v in d.items() if k != p}
        if value:
            out[p] = value
        return out

    return replace(
        a,
        partitions={**a.partitions, p: replicas},
        adding=put(a.adding, adding),
        removing=put(a.removing, removing),
    )


def _finish_decision(
    target: tuple[int, ...], live: set[int], cur: zp.PartitionState
) -> tuple[int, tuple[int, ...]] | None:
    """End of a reassignment: keep the leader if it stays, the ISR shrinks to the target."""
    isr = tuple(r for r in cur.isr if r in target)
    if cur.leader in target and cur.leader in live:
        return cur.leader, isr
    return election.offline(target, isr, live, unclean=False)


def _constant(
    choice: tuple[int, tuple[int, ...]], _cur: zp.PartitionState
) -> tuple[int, tuple[int, ...]]:
    return choice


def _shutdown_decision(
    replicas: tuple[int, ...], live: set[int], broker: int, cur: zp.PartitionState
) -> tuple[int, tuple[int, ...]] | None:
    return election.controlled_shutdown(replicas, cur.isr, live, {broker})


def _drop_from_isr(broker: int, cur: zp.PartitionState) -> tuple[int, tuple[int, ...]] | None:
    isr = tuple(r for r in cur.isr if r != broker)
    return (cur.leader, isr) if isr else None
