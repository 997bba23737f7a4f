"""Property: re-batching keeps what consumers see, for every codec and with a delete horizon."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.records.batch import DELETE_HORIZON_MASK, read_header, validate_batch
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.rebatch import rebuild_batch, scan_keys, scan_raw_records
from odradek.records.record import iter_records

record = st.builds(
    SimpleRecord,
    st.none() | st.binary(max_size=200),
    st.none() | st.binary(max_size=300),
    st.lists(st.tuples(st.text(max_size=5), st.none() | st.binary(max_size=10)), max_size=2).map(
        tuple
    ),
    st.integers(min_value=0, max_value=2**41),
)


@settings(max_examples=60, deadline=None)
@given(
    records=st.lists(record, min_size=1, max_size=40),
    codec=st.sampled_from([0, 1, 2, 3, 4]),
    keep=st.data(),
    horizon=st.none() | st.integers(min_value=0, max_value=2**42),
)
def test_rebuilt_batch_keeps_offsets_timestamps_keys_values_headers(
    records: list[SimpleRecord], codec: int, keep: st.DataObject, horizon: int | None
) -> None:
    raw = build_batch(records, base_offset=1000, codec=codec, timestamp=7)
    h, raws = scan_raw_records(raw)
    assert scan_keys(raw)[1] == [(r.offset_delta, r.key) for r in raws]
    mask = keep.draw(st.lists(st.booleans(), min_size=len(raws), max_size=len(raws)))
    kept = [r for r, m in zip(raws, mask, strict=True) if m]
    out = rebuild_batch(raw, h, kept, horizon)
    nh = validate_batch(out, 0, len(out))
    assert (nh.base_offset, nh.last_offset_delta, nh.compression) == (
        1000,
        h.last_offset_delta,
        codec if kept else 0,
    )
    assert nh.records_count == len(kept)
    original = {r.offset: r for r in iter_records(raw)}
    got = list(iter_records(out))
    assert got == [original[1000 + r.offset_delta] for r in kept]
    if horizon is not None and kept:
        assert nh.attributes & DELETE_HORIZON_MASK and nh.base_timestamp == horizon
    assert read_header(out).producer_id == h.producer_id
