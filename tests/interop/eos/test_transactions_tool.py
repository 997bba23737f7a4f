"""``odradek transactions`` against a broker: list, describe, describe-producers, find-hanging
and abort of a hanging transaction (which releases read_committed consumers)."""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from odradek.testing.process import BrokerProcess
from odradek.tools import transactions

from .eos_helpers import create_topic, read_values, start_broker

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    proc = start_broker(tmp_path_factory.mktemp("tool") / "data")
    yield proc
    proc.stop()


def run(broker: BrokerProcess, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = transactions.main(["--bootstrap-server", broker.bootstrap, *argv])
    return code, out.getvalue()


def test_list_and_describe(broker: BrokerProcess) -> None:
    topic = f"tool-{uuid.uuid4().hex[:6]}"
    create_topic(broker.bootstrap, topic)
    p = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": "tool-tx"})
    p.init_transactions(20)
    p.begin_transaction()
    p.produce(topic, b"v")
    p.flush(10)
    code, out = run(broker, "list")
    assert code == 0 and "tool-tx" in out and "Ongoing" in out
    code, out = run(broker, "list", "--state", "CompleteCommit")
    assert code == 0 and "tool-tx" not in out
    code, out = run(broker, "describe", "--transactional-id", "tool-tx")
    assert code == 0 and "Ongoing" in out and f"{topic}-0" in out
    p.commit_transaction(10)
    code, out = run(broker, "describe", "--transactional-id", "tool-tx")
    assert "CompleteCommit" in out
    assert run(broker, "describe", "--transactional-id", "nope")[0] == 1


def test_abort_hanging_transaction(broker: BrokerProcess, tmp_path: Path) -> None:
    topic = f"hang-{uuid.uuid4().hex[:6]}"
    create_topic(broker.bootstrap, topic)
    q = Producer({"bootstrap.servers": broker.bootstrap})
    q.produce(topic, b"before")
    q.flush(10)
    p = Producer(
        {
            "bootstrap.servers": broker.bootstrap,
            "transactional.id": f"hang-{topic}",
            "transaction.timeout.ms": 900000,
        }
    )
    p.init_transactions(20)
    p.begin_transaction()
    p.produce(topic, b"hanging")
    p.flush(10)
    q.produce(topic, b"after")
    q.flush(10)
    assert read_values(broker.bootstrap, topic, 2, timeout_s=2) == [b"before"]
    code, out = run(broker, "describe-producers", "--topic", topic, "--partition", "0")
    assert code == 0 and out.splitlines()[1].split()[-1] == "1"
    code, out = run(broker, "find-hanging", "--topic", topic, "--partition", "0",
                    "--max-transaction-timeout", "0")  # fmt: skip
    assert code == 0 and len(out.splitlines()) == 2
    code, out = run(broker, "abort", "--topic", topic, "--partition", "0", "--start-offset", "1")
    assert code == 0, out
    assert read_values(broker.bootstrap, topic, 2) == [b"before", b"after"]
    assert run(broker, "abort", "--topic", topic, "--partition", "0", "--start-offset", "1")[0] == 1


def test_add_partitions_v4_batched_and_verify_only(broker: BrokerProcess) -> None:
    topic = f"batched-{uuid.uuid4().hex[:6]}"
    create_topic(broker.bootstrap, topic, 2)
    p = Producer({"bootstrap.servers": broker.bootstrap, "transactional.id": f"b-{topic}"})
    p.init_transactions(20)
    addr = transactions._address(broker.bootstrap)
    d = transactions.describe_transactions(addr, [f"b-{topic}"])[0]

    def add(verify: bool, parts: list[int], epoch: int = d.producer_epoch) -> dict[int, int]:
        txn = {
            "transactional_id": f"b-{topic}",
            "producer_id": d.producer_id,
            "producer_epoch": epoch,
            "verify_only": verify,
            "topics": [{"name": topic, "partitions": parts}],
        }
        r = transactions.call(addr, 24, 4, {"transactions": [txn]})
        assert int(r.error_code) == 0
        (res,) = r.results_by_transaction
        return {
            x.partition_index: int(x.partition_error_code)
            for t in res.topic_results
            for x in t.results_by_partition
        }

    assert add(True, [0]) == {0: 48}  # INVALID_TXN_STATE: not in the transaction
    assert add(False, [0]) == {0: 0}
    assert add(True, [0, 1]) == {0: 0, 1: 48}
    assert add(False, [1], epoch=d.producer_epoch - 1) == {1: 90}  # PRODUCER_FENCED
    assert add(False, [7]) == {7: 3}  # UNKNOWN_TOPIC_OR_PARTITION
    d2 = transactions.describe_transactions(addr, [f"b-{topic}"])[0]
    assert d2.state == "Ongoing" and d2.partitions == [f"{topic}-0"]
