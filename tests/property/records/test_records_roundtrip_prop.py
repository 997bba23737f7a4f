"""Property: any records survive builder → validate → decode, for every codec."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.records.batch import validate_batch
from odradek.records.builder import SimpleRecord, build_batch
from odradek.records.compression import Codec
from odradek.records.record import iter_records

opt_bytes = st.one_of(st.none(), st.binary(max_size=200))
records = st.lists(
    st.builds(
        SimpleRecord,
        key=opt_bytes,
        value=opt_bytes,
        headers=st.lists(st.tuples(st.text(max_size=10), opt_bytes), max_size=3).map(tuple),
        timestamp=st.integers(min_value=0, max_value=2**40),
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(recs=records, codec=st.sampled_from(list(Codec)), base=st.integers(0, 2**40))
def test_round_trip(recs: list[SimpleRecord], codec: Codec, base: int) -> None:
    raw = build_batch(recs, base_offset=base, codec=codec)
    h = validate_batch(raw, 0, len(raw))
    assert h.records_count == len(recs)
    assert h.max_timestamp == max(r.timestamp or 0 for r in recs)
    out = list(iter_records(raw))
    assert [r.offset for r in out] == list(range(base, base + len(recs)))
    assert [(r.key, r.value, r.headers, r.timestamp) for r in out] == [
        (r.key, r.value, r.headers, r.timestamp) for r in recs
    ]
