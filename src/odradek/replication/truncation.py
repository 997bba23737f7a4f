"""Where a follower cuts its log before fetching from a new leader (KIP-101, KIP-279).

The follower sends its latest leader epoch ``E``; the leader answers with the largest epoch
``L <= E`` it has and the offset where ``L`` ends in its log. Then:

* ``L == E``: the logs agree up to that end offset; cut there (never above the local end);
* ``L < E``: the follower has epochs the leader never saw; cut at the smaller of the leader's end
  of ``L`` and where the follower's own epochs ``<= L`` end (:func:`end_of_epoch`);
* no answer (``L < 0``, e.g. the leader has no epoch that old): fall back to the high watermark,
  or keep everything when the follower has no epochs at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def epoch_end_offset(
    entries: Sequence[tuple[int, int]], log_end: int, requested: int
) -> tuple[int, int]:
    """OffsetForLeaderEpoch on a leader epoch cache of ``(epoch, start_offset)`` entries.

    Kafka's rule: ``(largest epoch <= requested, start offset of the next epoch or the log
    end)``; when every epoch is newer than ``requested``: ``(requested, start of the first)``;
    ``(-1, -1)`` for an undefined request or an empty cache.
    """
    if requested < 0 or not entries:
        return -1, -1
    best = -1
    for epoch, start in entries:
        if epoch > requested:
            return (best, start) if best >= 0 else (requested, start)
        best = epoch
    return best, log_end


def end_of_epoch(entries: Sequence[tuple[int, int]], log_end: int, epoch: int) -> int:
    """Where a replica's log stops being in epochs ``<= epoch``: the start of the first newer
    epoch, else the log end."""
    for e, start in entries:
        if e > epoch:
            return start
    return log_end


def truncation_offset(
    log_end: int,
    high_watermark: int,
    local_latest_epoch: int,
    local_end_for: Callable[[int], int],
    leader_epoch: int,
    leader_end_offset: int,
) -> int:
    """The offset to truncate the local log to (``log_end`` means no truncation)."""
    if leader_end_offset < 0 or leader_epoch < 0:
        target = high_watermark if local_latest_epoch >= 0 else log_end
    elif leader_epoch == local_latest_epoch:
        target = leader_end_offset
    else:
        target = min(leader_end_offset, local_end_for(leader_epoch))
    return max(0, min(target, log_end))
