"""Explicit replica assignments in cluster mode: CreateTopics and CreatePartitions with
``replica_assignment`` (confluent-kafka AdminClient) create exactly those replicas in
``/brokers/topics/T``, and invalid assignments get INVALID_REPLICA_ASSIGNMENT as in Kafka's
ZooKeeper mode. On Apache ZooKeeper 3.8."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cluster_harness import admin, leaders, wait_for
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewPartitions, NewTopic
from kazoo.client import KazooClient

from odradek.broker.cluster_main import LocalCluster

pytestmark = pytest.mark.interop


def replicas_in_zk(zk: KazooClient, topic: str) -> dict[int, list[int]]:
    doc = json.loads(zk.get(f"/brokers/topics/{topic}")[0])
    return {int(p): r for p, r in doc["partitions"].items()}


# librdkafka wants the partition count with an assignment; it sends -1 / -1 on the wire
def error_of(fut: object) -> int:
    try:
        fut.result(20)  # type: ignore[attr-defined]
    except KafkaException as exc:
        return int(exc.args[0].code())
    return 0


def test_explicit_assignments(apache_cluster: LocalCluster) -> None:
    c = apache_cluster
    a = admin(c.bootstrap)
    wait_for(lambda: len(a.list_topics(timeout=3).brokers) == 3, 20, "live brokers")
    zk = KazooClient(hosts=c.zookeeper, timeout=10)
    zk.start(15)
    try:
        wanted = [[3, 1], [1, 2], [3, 2]]
        topic = NewTopic("placed", len(wanted), replica_assignment=wanted)
        a.create_topics([topic])["placed"].result(20)
        assert replicas_in_zk(zk, "placed") == dict(enumerate(wanted))
        wait_for(lambda: {p: ld for p, (ld, _i) in leaders(c.bootstrap, "placed").items()}
                 == {0: 3, 1: 1, 2: 3}, 20, "preferred leaders")  # fmt: skip
        md = a.list_topics("placed", timeout=5).topics["placed"]
        assert {p.id: list(p.replicas) for p in md.partitions.values()} == dict(enumerate(wanted))

        grow = NewPartitions("placed", 5, replica_assignment=[[2, 1], [1, 3]])
        a.create_partitions([grow])["placed"].result(20)
        assert replicas_in_zk(zk, "placed") == {**dict(enumerate(wanted)), 3: [2, 1], 4: [1, 3]}
        wait_for(lambda: len(leaders(c.bootstrap, "placed")) == 5, 20, "5 partitions")

        # added without an assignment: the layout continues, RF kept, brokers distinct
        a.create_partitions([NewPartitions("placed", 7)])["placed"].result(20)
        extra = replicas_in_zk(zk, "placed")
        assert all(len(set(extra[p])) == 2 for p in (5, 6))

        invalid = int(KafkaError.INVALID_REPLICA_ASSIGNMENT)
        bad_topics = {
            "dup": [[1, 1]],
            "uneven": [[1, 2], [3]],
        }
        futs = a.create_topics(
            [NewTopic(n, len(r), replica_assignment=r) for n, r in bad_topics.items()]
        )
        assert {n: error_of(f) for n, f in futs.items()} == {n: invalid for n in bad_topics}
        assert not zk.exists("/brokers/topics/dup") and not zk.exists("/brokers/topics/uneven")

        bad_growth = [
            NewPartitions("placed", 8, replica_assignment=[[1, 9]]),  # broker 9 unknown
        ]
        for g in bad_growth:
            assert error_of(a.create_partitions([g])["placed"]) == invalid
        bad_rf = NewPartitions("placed", 8, replica_assignment=[[1, 2, 3]])
        assert error_of(a.create_partitions([bad_rf])["placed"]) == invalid
        assert len(replicas_in_zk(zk, "placed")) == 7

        # through kafka-python, which sends what it is given: partition ids must be 0..n-1
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic as KNewTopic
        from kafka.errors import InvalidReplicationAssignmentError

        kp = KafkaAdminClient(bootstrap_servers=c.bootstrap.split(","), request_timeout_ms=10000)
        try:
            for name, lists in (("gap", {0: [1], 2: [2]}), ("odd", {0: [1, 2], 1: [3]})):
                with pytest.raises(InvalidReplicationAssignmentError):
                    kp.create_topics([KNewTopic(name, replica_assignments=lists)])
            kp.create_topics(
                [KNewTopic("dry", replica_assignments={0: [2, 3]})], validate_only=True
            )
        finally:
            kp.close()
        assert not {"gap", "odd", "dry"} & set(zk.get_children("/brokers/topics"))

        # Kafka's ZooKeeper mode does not check brokers at creation: a replica on a broker
        # that is not (yet) registered is kept; the partition is led by the live one
        a.create_topics([NewTopic("ahead", 1, replica_assignment=[[2, 4]])])["ahead"].result(20)
        assert replicas_in_zk(zk, "ahead") == {0: [2, 4]}
        wait_for(lambda: leaders(c.bootstrap, "ahead")[0][0] == 2, 20, "leader 2")
        # no live replica at all: created, but no leader within the request timeout, which
        # Kafka answers REQUEST_TIMED_OUT
        nowhere = NewTopic("nowhere", 1, replica_assignment=[[7, 8]])
        fut = a.create_topics([nowhere], request_timeout=15, operation_timeout=2)["nowhere"]
        assert error_of(fut) == int(KafkaError.REQUEST_TIMED_OUT)
        assert replicas_in_zk(zk, "nowhere") == {0: [7, 8]}
    finally:
        zk.stop()
        zk.close()

    out = subprocess.run(
        [sys.executable, "-m", "odradek.cli", "topics", "--bootstrap-server", c.bootstrap,
         "--describe", "--topic", "placed"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if "Partition: 3" in line)
    assert "Replicas: 2,1" in row, row
    kcat = subprocess.run(["kcat", "-L", "-b", c.bootstrap, "-t", "placed"],
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert kcat.returncode == 0, kcat.stderr
    rows = [line.strip() for line in kcat.stdout.splitlines() if "partition " in line]
    replicas = {r.split(",")[0]: r.split("replicas: ")[1].split(", isrs")[0] for r in rows}
    assert replicas["partition 0"] == "3,1" and replicas["partition 4"] == "1,3", rows

    # odradek topics --replica-assignment, in kafka-topics' format
    def topics(*extra: str) -> str:
        res = subprocess.run(
            [sys.executable, "-m", "odradek.cli", "topics", "--bootstrap-server", c.bootstrap,
             *extra],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        return res.stdout

    topics("--create", "--topic", "cli-placed", "--replica-assignment", "2:3,3:1")
    topics("--alter", "--topic", "cli-placed", "--partitions", "3",
           "--replica-assignment", "2:3,3:1,1:2")  # fmt: skip
    wait_for(lambda: len(leaders(c.bootstrap, "cli-placed")) == 3, 20, "3 partitions")
    described = topics("--describe", "--topic", "cli-placed")
    rows = {
        int(line.split("Partition: ")[1].split()[0]): line.split("Replicas: ")[1].split()[0]
        for line in described.splitlines()
        if "Partition: " in line
    }
    assert rows == {0: "2,3", 1: "3,1", 2: "1,2"}, described
