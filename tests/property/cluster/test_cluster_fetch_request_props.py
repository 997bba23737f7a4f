"""The follower's hand-written Fetch v12 request is byte-identical to kio's encoding, and the
broker's request decoder reads back what the follower meant."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.protocol import kio_codec, shapes
from odradek.protocol.fetch import decode_fetch_request
from odradek.replication.fetcher import FETCH_VERSION, FetcherConfig, encode_replica_fetch

_i32 = st.integers(-(2**31), 2**31 - 1)
_i64 = st.integers(-(2**63), 2**63 - 1)
_parts = st.lists(st.tuples(st.integers(0, 2**31 - 1), _i32, _i64, _i64), max_size=4)
_topics = st.dictionaries(st.text(min_size=1, max_size=40), _parts, max_size=4)
_configs = st.builds(
    FetcherConfig,
    max_wait_ms=st.integers(0, 2**31 - 1),
    min_bytes=st.integers(0, 2**31 - 1),
    max_bytes=st.integers(0, 2**31 - 1),
    partition_max_bytes=st.integers(0, 2**31 - 1),
)


def _kio_body(
    replica_id: int, cfg: FetcherConfig, topics: dict[str, list[tuple[int, int, int, int]]]
) -> bytes:
    parts = {
        t: [
            {
                "partition": p,
                "current_leader_epoch": epoch,
                "fetch_offset": offset,
                "last_fetched_epoch": -1,
                "log_start_offset": start,
                "partition_max_bytes": cfg.partition_max_bytes,
            }
            for p, epoch, offset, start in ps
        ]
        for t, ps in topics.items()
    }
    req = shapes.build(
        kio_codec.request_class(1, FETCH_VERSION),
        {
            "replica_id": replica_id,
            "max_wait": cfg.max_wait_ms,
            "min_bytes": cfg.min_bytes,
            "max_bytes": cfg.max_bytes,
            "isolation_level": 0,
            "session_id": 0,
            "session_epoch": -1,
            "topics": [{"topic": t, "partitions": ps} for t, ps in parts.items()],
            "forgotten_topics_data": [],
            "rack_id": "",
        },
    )
    return bytes(kio_codec.encode_request(req))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**31 - 1), _configs, _topics)
def test_replica_fetch_matches_kio(
    replica_id: int, cfg: FetcherConfig, topics: dict[str, list[tuple[int, int, int, int]]]
) -> None:
    ours = encode_replica_fetch(replica_id, cfg, topics)
    assert ours == _kio_body(replica_id, cfg, topics)
    view = decode_fetch_request(FETCH_VERSION, memoryview(ours), 0)
    assert view.replica_id == replica_id
    assert view.max_wait_ms == cfg.max_wait_ms and view.max_bytes == cfg.max_bytes
    decoded = {
        t.name: [(p.partition, p.current_leader_epoch, p.fetch_offset, p.log_start_offset)
                 for p in t.partitions]
        for t in view.topics
    }  # fmt: skip
    assert decoded == {t: ps for t, ps in topics.items()}
