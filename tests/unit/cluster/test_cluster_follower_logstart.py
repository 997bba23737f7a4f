"""The follower side of a leader's log start offset: a follower below it restarts its log there
(also when the leader's first batch straddles it), and a follower follows it up."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from odradek.common.clock import ManualClock
from odradek.common.config import LogConfig
from odradek.common.errors import ErrorCode
from odradek.records.builder import SimpleRecord, build_batch
from odradek.replication.fetcher import FetcherConfig, ReplicaFetcher
from odradek.storage.log import Log

TP = ("t", 0)


class Host:
    local_id = 2

    def __init__(self, lg: Log) -> None:
        self.lg = lg
        self.progress = 0

    def follower_log(self, tp: tuple[str, int], leader_epoch: int) -> Log | None:
        return self.lg

    def on_follower_progress(self, tp: tuple[str, int]) -> None:
        self.progress += 1


def make_log(path: Path) -> Log:
    lg = Log(path, LogConfig(), ManualClock())
    lg.auto_high_watermark = False
    return lg


def leader_with(path: Path, batches: list[int]) -> Log:
    lg = make_log(path)
    for n in batches:
        raw = build_batch([SimpleRecord(None, b"v")] * n)
        lg.append_as_leader(memoryview(bytearray(raw)), now_ms=1, leader_epoch=0)
    lg.update_high_watermark(lg.log_end_offset)
    return lg


def response(leader: Log, offset: int) -> SimpleNamespace:
    try:
        data = leader.read(offset, 1 << 20, leader.log_end_offset)
    except Exception:
        return SimpleNamespace(
            error_code=int(ErrorCode.OFFSET_OUT_OF_RANGE),
            high_watermark=leader.high_watermark,
            log_start_offset=leader.log_start_offset,
            records=None,
        )
    return SimpleNamespace(
        error_code=0,
        high_watermark=data.high_watermark,
        log_start_offset=data.log_start_offset,
        records=[bytes(b) for b in data.buffers],
    )


def catch_up(fetcher: ReplicaFetcher, follower: Log, leader: Log) -> None:
    for _ in range(5):
        fetcher._apply(TP, follower, response(leader, follower.log_end_offset))
        if follower.log_end_offset == leader.log_end_offset:
            fetcher._apply(TP, follower, response(leader, follower.log_end_offset))
            return


def test_follower_below_the_leaders_log_start_restarts_there(tmp_path: Path) -> None:
    leader = leader_with(tmp_path / "leader" / "t-0", [10, 10, 10])
    follower = make_log(tmp_path / "follower" / "t-0")
    fetcher = ReplicaFetcher(Host(follower), 1, ("127.0.0.1", 1), FetcherConfig())
    fetcher.add(TP, 0)
    fetcher.partitions[TP].truncating = False  # as after OffsetForLeaderEpoch
    catch_up(fetcher, follower, leader)
    assert follower.log_end_offset == 30
    leader.append_as_leader(
        memoryview(bytearray(build_batch([SimpleRecord(None, b"v")] * 10))),
        now_ms=1,
        leader_epoch=0,
    )
    leader.update_high_watermark(40)
    follower.truncate_to(5)  # as if it had been down: its log ends far behind
    assert leader.delete_records_before(25) == 25  # inside the batch 20..29

    catch_up(fetcher, follower, leader)
    assert not fetcher.partitions[TP].truncating  # no OffsetForLeaderEpoch loop
    assert (follower.log_start_offset, follower.log_end_offset) == (25, 40)
    assert follower.read(25, 1 << 20).size > 0

    assert leader.delete_records_before(35) == 35
    catch_up(fetcher, follower, leader)
    assert follower.log_start_offset == 35  # follows the leader's log start up


def test_follower_past_the_leaders_end_truncates_by_epoch(tmp_path: Path) -> None:
    leader = leader_with(tmp_path / "leader" / "t-0", [10])
    follower = leader_with(tmp_path / "follower" / "t-0", [10, 10])
    fetcher = ReplicaFetcher(Host(follower), 1, ("127.0.0.1", 1), FetcherConfig())
    fetcher.add(TP, 0)
    fetcher.partitions[TP].truncating = False
    assert not fetcher._apply(TP, follower, response(leader, follower.log_end_offset))
    assert fetcher.partitions[TP].truncating  # OffsetForLeaderEpoch decides where to cut
    assert follower.log_end_offset == 20
