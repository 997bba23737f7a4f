"""The coordinator runtime on a real storage Log: append, reload by replay, control batches."""

from __future__ import annotations

from pathlib import Path

from odradek.common.clock import ManualClock
from odradek.common.config import BrokerConfig, LogConfig
from odradek.common.errors import ErrorCode
from odradek.coordinator.group.config import GroupConfig
from odradek.coordinator.group.records import OffsetKey, OffsetValue
from odradek.coordinator.group.service import GroupCoordinator
from odradek.coordinator.log_partition import LogPartition
from odradek.records.builder import SimpleRecord, build_batch
from odradek.storage.log_manager import LogManager


def _manager(path: Path, clock: ManualClock) -> LogManager:
    manager = LogManager([path], LogConfig(), clock)
    manager.startup()
    return manager


def test_append_and_read_back_skipping_control_batches(tmp_path: Path) -> None:
    clock = ManualClock()
    manager = _manager(tmp_path, clock)
    log = manager.get_or_create_log("__consumer_offsets", 0, LogConfig(cleanup_policy=("compact",)))
    part = LogPartition(log)
    k1 = OffsetKey("g", "t", 0).encode()
    assert part.append([(k1, OffsetValue(5).encode()), (b"k2", None)], clock.now_ms()) == 1
    control = build_batch(
        [SimpleRecord(b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00")],
        control=True,
        transactional=True,
        producer_id=7,
        producer_epoch=0,
    )
    log.append_as_leader(memoryview(bytearray(control)), clock.now_ms(), from_client=False)
    assert part.append([(k1, OffsetValue(6).encode())], clock.now_ms()) == 3
    got = list(part.read_from(0))
    assert [(o, k) for o, k, _v in got] == [(0, k1), (1, b"k2"), (3, k1)]
    assert got[1][2] is None
    assert list(part.read_from(2)) == [got[2]]
    manager.shutdown()


def test_coordinator_survives_restart_on_storage(tmp_path: Path) -> None:
    clock = ManualClock()
    config = GroupConfig(offsets_topic_num_partitions=1)
    manager = _manager(tmp_path, clock)
    log = manager.get_or_create_log("__consumer_offsets", 0, LogConfig())
    coord = GroupCoordinator(config, clock)
    coord.load(0, LogPartition(log), LogPartition(log))
    coord.write_offsets("g", {("t", 0): OffsetValue(42, "m", clock.now_ms())})
    manager.shutdown()
    manager = _manager(tmp_path, clock)
    log = manager.get_log("__consumer_offsets", 0)
    assert log is not None
    again = GroupCoordinator(config, clock)
    assert again.load(0, LogPartition(log), LogPartition(log)) == 1
    fetched = again.fetch_offsets("g", [("t", 0)])
    assert (fetched[0].offset, fetched[0].metadata) == (42, "m")
    manager.shutdown()


def test_group_config_from_broker_properties() -> None:
    config = GroupConfig.from_broker(
        BrokerConfig(
            {
                "offsets.topic.num.partitions": "7",
                "group.initial.rebalance.delay.ms": "0",
                "offsets.retention.minutes": "2",
                "group.consumer.assignors": (
                    "org.apache.kafka.coordinator.group.assignor.RangeAssignor,uniform"
                ),
            }
        )
    )
    assert config.offsets_topic_num_partitions == 7
    assert config.group_initial_rebalance_delay_ms == 0
    assert config.offsets_retention_ms == 120_000
    assert config.consumer_assignors == ("range", "uniform")
    assert GroupConfig.from_broker(BrokerConfig()).group_initial_rebalance_delay_ms == 3000


def _marker(log: object, pid: int, commit: bool, now: int) -> int:
    from odradek.coordinator.txn.markers import build_marker

    batch = memoryview(bytearray(build_marker(pid, 0, 0, commit, now)))
    return int(log.append_as_leader(batch, now, from_client=False).last_offset)  # type: ignore[attr-defined]


def test_transactional_offsets_are_rebuilt_on_load(tmp_path: Path) -> None:
    """TxnOffsetCommit batches replay as pending; markers in the log decide them."""
    from odradek.coordinator.group.api import OffsetCommitRequest, TopicPartitionOffset

    clock = ManualClock()
    config = GroupConfig(offsets_topic_num_partitions=1)
    manager = _manager(tmp_path, clock)
    log = manager.get_or_create_log("__consumer_offsets", 0, LogConfig())
    coord = GroupCoordinator(config, clock)
    coord.load(0, LogPartition(log), LogPartition(log))

    def txn_commit(group: str, pid: int, offset: int) -> None:
        offsets = (TopicPartitionOffset("t", 0, offset, -1, ""),)
        got: list[object] = []
        coord.txn_commit_offsets(OffsetCommitRequest(group, -1, "", offsets), (pid, 0), got.append)
        assert got == [[("t", 0, 0)]]

    txn_commit("committed", 11, 100)
    txn_commit("aborted", 12, 200)
    txn_commit("open", 13, 300)
    coord.on_marker(0, _marker(log, 11, True, clock.now_ms()), 11, True)
    coord.on_marker(0, _marker(log, 12, False, clock.now_ms()), 12, False)
    assert log.last_stable_offset < log.log_end_offset  # producer 13 is still open
    manager.shutdown()

    manager = _manager(tmp_path, clock)
    log = manager.get_log("__consumer_offsets", 0)
    assert log is not None
    again = GroupCoordinator(config, clock)
    again.load(0, LogPartition(log), LogPartition(log))
    assert again.fetch_offsets("committed", [("t", 0)])[0].offset == 100
    assert again.fetch_offsets("aborted", [("t", 0)])[0].offset == -1
    unstable = again.fetch_offsets("open", [("t", 0)], require_stable=True)[0]
    assert unstable.error == ErrorCode.UNSTABLE_OFFSET_COMMIT
    again.on_marker(0, _marker(log, 13, True, clock.now_ms()), 13, True)
    assert again.fetch_offsets("open", [("t", 0)])[0].offset == 300
    manager.shutdown()
