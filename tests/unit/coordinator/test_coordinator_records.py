"""``__consumer_offsets`` layouts against bytes built field by field, and the partition hash."""

from __future__ import annotations

import struct
import uuid

import pytest

from odradek.coordinator.group import records as r
from odradek.coordinator.group.config import partition_for
from odradek.protocol.primitives import DecodeError


def s(text: str | None) -> bytes:
    if text is None:
        return struct.pack(">h", -1)
    return struct.pack(">h", len(text.encode())) + text.encode()


def b(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def test_offset_key_layout() -> None:
    key = r.OffsetKey("grp", "topic", 7)
    expected = struct.pack(">h", 1) + s("grp") + s("topic") + struct.pack(">i", 7)
    assert key.encode() == expected
    assert r.decode_key(expected) == key
    assert r.decode_key(struct.pack(">h", 0) + s("grp") + s("topic") + struct.pack(">i", 7)) == key


def test_offset_value_v3_and_v1_layouts() -> None:
    v3 = r.OffsetValue(42, "meta", 1000, leader_epoch=5)
    expected = struct.pack(">hqi", 3, 42, 5) + s("meta") + struct.pack(">q", 1000)
    assert v3.encode() == expected
    assert r.decode_offset_value(expected) == v3
    v1 = r.OffsetValue(42, "", 1000, expire_timestamp=2000)
    expected1 = struct.pack(">hq", 1, 42) + s("") + struct.pack(">qq", 1000, 2000)
    assert v1.encode() == expected1
    assert r.decode_offset_value(expected1) == v1
    v0 = struct.pack(">hq", 0, 9) + s("x") + struct.pack(">q", 5)
    assert r.decode_offset_value(v0) == r.OffsetValue(9, "x", 5)


def test_offset_value_v4_flexible() -> None:
    data = struct.pack(">hqi", 4, 11, 2) + bytes([2]) + b"m" + struct.pack(">q", 77) + b"\x00"
    assert r.decode_offset_value(data) == r.OffsetValue(11, "m", 77, leader_epoch=2)


def test_group_metadata_value_v3_layout() -> None:
    member = r.MemberMetadata("m-1", "cli", "/10.0.0.1", 10000, 30000, b"sub", b"asg", "inst")
    value = r.GroupValue("consumer", 3, "range", "m-1", 123, (member,))
    expected = (
        struct.pack(">h", 3)
        + s("consumer")
        + struct.pack(">i", 3)
        + s("range")
        + s("m-1")
        + struct.pack(">q", 123)
        + struct.pack(">i", 1)
        + s("m-1")
        + s("inst")
        + s("cli")
        + s("/10.0.0.1")
        + struct.pack(">ii", 30000, 10000)
        + b(b"sub")
        + b(b"asg")
    )
    assert value.encode() == expected
    assert r.decode_group_value(expected) == value
    assert r.decode_key(r.GroupKey("grp").encode()) == r.GroupKey("grp")


def test_group_metadata_value_v0_has_no_rebalance_timeout() -> None:
    data = (
        struct.pack(">h", 0)
        + s("consumer")
        + struct.pack(">i", 1)
        + s(None)
        + s(None)
        + struct.pack(">i", 1)
        + s("m")
        + s("c")
        + s("h")
        + struct.pack(">i", 6000)
        + b(b"")
        + b(b"")
    )
    v = r.decode_group_value(data)
    assert v.protocol is None and v.leader is None and v.current_state_timestamp == -1
    assert v.members[0].rebalance_timeout == 6000 and v.members[0].group_instance_id is None


def test_kip848_values_round_trip() -> None:
    t = uuid.uuid4()
    cur = r.CurrentMemberValue(3, 2, 1, {t: frozenset({0, 2})}, {t: frozenset({1})})
    assert r.decode_current_member_value(cur.encode()) == cur
    tgt = r.TargetMemberValue({t: frozenset({5})})
    assert r.decode_target_member_value(tgt.encode()) == tgt
    mem = r.ConsumerMemberValue(None, "rack", "c", "h", ("a", "b"), None, "uniform", 45000)
    assert r.decode_consumer_member_value(mem.encode()) == mem
    assert r.decode_epoch_value(r.EpochValue(9).encode()) == r.EpochValue(9)
    key = r.MemberKey("g", "m", r.CURRENT_MEMBER_ASSIGNMENT)
    assert r.decode_key(key.encode()) == key


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", struct.pack(">h", 99) + s("g"), struct.pack(">h", 1) + b"\x00\x09ab"],
)
def test_malformed_keys_raise_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        r.decode_key(data)


def test_malformed_group_value_raises_decode_error() -> None:
    good = r.GroupValue("consumer", 1, "range", "m", 0, ()).encode()
    with pytest.raises(DecodeError):
        r.decode_group_value(good[:-2])
    with pytest.raises(DecodeError):
        r.decode_group_value(good[:-4] + struct.pack(">i", 1_000_000))


def java_hash(text: str) -> int:
    h = 0
    for unit in struct.unpack(f">{len(text.encode('utf-16-be')) // 2}H", text.encode("utf-16-be")):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def test_partition_for_follows_java_string_hashcode() -> None:
    assert partition_for("", 50) == 0
    assert partition_for("a", 50) == 97 % 50
    assert partition_for("Aa", 50) == partition_for("BB", 50) == 2112 % 50
    assert java_hash("hello") == 99162322
    assert partition_for("hello", 50) == 99162322 % 50
    # Integer.MIN_VALUE maps to partition 0 (Utils.abs).
    assert java_hash("polygenelubricants") == -(2**31)
    assert partition_for("polygenelubricants", 7) == 0
    # Negative hashes use the absolute value; non-BMP characters hash as two UTF-16 units.
    for text in ("my-group", "console-consumer-1234", "\U0001f600", "groupé"):
        assert partition_for(text, 50) == abs(java_hash(text)) % 50
    assert java_hash("\U0001f600") == 0xD83D * 31 + 0xDE00
