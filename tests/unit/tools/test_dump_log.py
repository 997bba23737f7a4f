"""dump-log on segment and index files laid out as Kafka writes them."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from odradek.records.builder import SimpleRecord, build_batch
from odradek.tools import dump_log

TS = 1_700_000_000_000


def _segment(tmp_path: Path) -> tuple[Path, list[int]]:
    batches = [
        build_batch(
            [SimpleRecord(None, b"a"), SimpleRecord(None, b"bb"), SimpleRecord(None, b"c")],
            base_offset=0,
            timestamp=TS,
            partition_leader_epoch=0,
        ),
        build_batch(
            [SimpleRecord(b"k1", b"v1", (("h1", b"x"), ("h2", None))), SimpleRecord(b"k2", None)],
            base_offset=3,
            timestamp=TS + 5,
            codec=1,
            partition_leader_epoch=0,
        ),
        build_batch(
            [SimpleRecord(None, b"txn")],
            base_offset=5,
            timestamp=TS + 6,
            producer_id=42,
            producer_epoch=1,
            base_sequence=7,
            transactional=True,
        ),
        build_batch(
            [SimpleRecord(struct.pack(">hh", 0, 1), struct.pack(">hi", 0, 3))],
            base_offset=6,
            timestamp=TS + 7,
            producer_id=42,
            producer_epoch=1,
            transactional=True,
            control=True,
        ),
    ]
    positions = []
    data = bytearray()
    for b in batches:
        positions.append(len(data))
        data += b
    log = tmp_path / "00000000000000000000.log"
    log.write_bytes(bytes(data))
    return log, positions


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = dump_log.main(list(args))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_batch_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, positions = _segment(tmp_path)
    code, lines, _ = _run(capsys, "--files", str(log))
    assert code == 0
    assert lines[0] == f"Dumping {log}"
    assert lines[1] == "Log starting offset: 0"
    assert len(lines) == 6
    first = lines[2]
    assert first.startswith(
        "baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1 "
        "producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false "
        "isControl: false deleteHorizonMs: OptionalLong.empty position: 0 "
        f"CreateTime: {TS} size: {positions[1]} magic: 2 compresscodec: none crc: "
    )
    assert first.endswith(" isvalid: true")
    assert f"position: {positions[1]} " in lines[3] and "compresscodec: gzip" in lines[3]
    assert "baseSequence: 7 lastSequence: 7 producerId: 42 producerEpoch: 1" in lines[4]
    assert "isTransactional: true isControl: true" in lines[5]
    assert not any(line.startswith("|") for line in lines)


def test_print_data_log_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, _ = _segment(tmp_path)
    _, lines, _ = _run(capsys, "--files", str(log), "--print-data-log")
    records = [line for line in lines if line.startswith("| ")]
    assert len(records) == 7
    assert records[0] == (
        f"| offset: 0 CreateTime: {TS} keySize: -1 valueSize: 1 sequence: -1 "
        "headerKeys: [] payload: a"
    )
    assert records[3] == (
        f"| offset: 3 CreateTime: {TS + 5} keySize: 2 valueSize: 2 sequence: -1 "
        "headerKeys: [h1,h2] key: k1 payload: v1"
    )
    assert records[4].endswith("keySize: 2 valueSize: -1 sequence: -1 headerKeys: [] key: k2")
    assert "sequence: 7 " in records[5] and records[5].endswith("payload: txn")
    assert records[6].endswith("endTxnMarker: COMMIT coordinatorEpoch: 3")


def test_deep_iteration_without_payloads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, _ = _segment(tmp_path)
    _, lines, _ = _run(capsys, "--files", str(log), "--deep-iteration")
    records = [line for line in lines if line.startswith("| ")]
    assert len(records) == 7
    assert not any("payload:" in r for r in records)


def test_corrupt_crc_and_trailing_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, positions = _segment(tmp_path)
    data = bytearray(log.read_bytes())
    data[positions[1] - 1] ^= 0xFF  # last byte of the first batch
    data += b"\x00" * 10
    log.write_bytes(bytes(data))
    _, lines, _ = _run(capsys, "--files", str(log))
    assert lines[2].endswith("isvalid: false")
    assert lines[3].endswith("isvalid: true")
    assert lines[-1] == f"Found 10 invalid bytes at the end of {log}"


def test_offset_and_time_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _log, positions = _segment(tmp_path)
    index = tmp_path / "00000000000000000000.index"
    entries = struct.pack(">ii", 2, 0) + struct.pack(">ii", 4, positions[1])
    index.write_bytes(entries + b"\x00" * 80)  # preallocated tail
    tindex = tmp_path / "00000000000000000000.timeindex"
    tindex.write_bytes(struct.pack(">qi", TS, 2) + struct.pack(">qi", TS + 5, 4) + b"\0" * 36)
    code, lines, err = _run(capsys, "--files", f"{index},{tindex}")
    assert code == 0
    assert lines == [
        f"Dumping {index}",
        "offset: 2 position: 0",
        f"offset: 4 position: {positions[1]}",
        f"Dumping {tindex}",
        f"timestamp: {TS} offset: 2",
        f"timestamp: {TS + 5} offset: 4",
    ]
    assert err == ""


def test_index_mismatch_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _segment(tmp_path)
    index = tmp_path / "00000000000000000000.index"
    index.write_bytes(struct.pack(">ii", 1, 0))
    _, lines, err = _run(capsys, "--files", str(index), "--verify-index-only")
    assert lines == [f"Dumping {index}"]
    assert f"Mismatches in :{index}" in err
    assert "Index offset: 1, log offset: 2" in err


def test_txn_index_empty_and_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    txn = tmp_path / "00000000000000000100.txnindex"
    txn.write_bytes(struct.pack(">hqqqq", 0, 42, 100, 105, 106))
    empty = tmp_path / "00000000000000000100.index"
    empty.write_bytes(b"")
    other = tmp_path / "leader-epoch-checkpoint"
    other.write_text("0\n")
    _, lines, _ = _run(capsys, "--files", str(txn), str(empty), str(other))
    assert lines == [
        f"Dumping {txn}",
        "version: 0 producerId: 42 firstOffset: 100 lastOffset: 105 lastStableOffset: 106",
        f"Dumping {empty}",
        f"{empty} is empty.",
        f"Dumping {other}",
        f"Ignoring unknown file {other}",
    ]


def test_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--files", str(tmp_path / "00000000000000000000.log"))
    assert code == 1 and "does not exist" in err


def test_garbage_never_crashes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, positions = _segment(tmp_path)
    data = bytearray(log.read_bytes())
    data[positions[1] + 70 : positions[1] + 80] = b"\xff" * 10  # inside the gzip payload
    log.write_bytes(bytes(data))
    code, lines, _ = _run(capsys, "--files", str(log), "--print-data-log")
    assert code == 0
    assert any("could not decode records of batch at offset 3" in line for line in lines)
    assert lines[-1].endswith("endTxnMarker: COMMIT coordinatorEpoch: 3")
