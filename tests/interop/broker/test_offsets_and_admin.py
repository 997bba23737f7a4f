"""ListOffsets (earliest, latest, by time, max timestamp), DeleteRecords, DescribeLogDirs,
DescribeCluster and broker configs, through real clients and on the wire."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaAdminClient
from kio.schema.list_offsets.v9 import request as lo_v9

from odradek.testing.process import BrokerProcess
from odradek.testing.wire import WireClient

pytestmark = pytest.mark.interop


def _list_offsets(c: WireClient, topic: str, ts: int) -> tuple[int, int, int]:
    req = lo_v9.ListOffsetsRequest(
        replica_id=-1,
        isolation_level=0,
        topics=(
            lo_v9.ListOffsetsTopic(
                name=topic,
                partitions=(
                    lo_v9.ListOffsetsPartition(
                        partition_index=0, current_leader_epoch=-1, timestamp=ts
                    ),
                ),
            ),
        ),
    )
    p = c.request(2, 9, req).topics[0].partitions[0]
    return p.error_code, p.offset, p.timestamp


def test_list_offsets_and_delete_records(broker: BrokerProcess) -> None:
    topic = f"lo-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(10)
    p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    stamps = [1_000, 5_000, 3_000, 9_000, 2_000]
    for ts in stamps:
        p.produce(topic, b"v", timestamp=1_700_000_000_000 + ts)
        p.flush(10)
    c = WireClient(broker.bootstrap)
    assert _list_offsets(c, topic, -2)[:2] == (0, 0)
    assert _list_offsets(c, topic, -1)[:2] == (0, 5)
    assert _list_offsets(c, topic, -3) == (0, 3, 1_700_000_009_000)  # max timestamp
    assert _list_offsets(c, topic, 1_700_000_004_000)[:2] == (0, 1)  # first ts >= 4000
    assert _list_offsets(c, topic, 1_700_000_099_000)[:2] == (0, -1)
    # DeleteRecords moves the log start offset; earliest follows it
    result = admin.delete_records([TopicPartition(topic, 0, 3)])
    assert result[TopicPartition(topic, 0, 3)].result(10).low_watermark == 3
    assert _list_offsets(c, topic, -2)[:2] == (0, 3)
    cons = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "lo"})
    assert cons.get_watermark_offsets(TopicPartition(topic, 0), timeout=10) == (3, 5)
    cons.close()
    # deleting beyond the high watermark is OFFSET_OUT_OF_RANGE
    bad = admin.delete_records([TopicPartition(topic, 0, 50)])
    with pytest.raises(Exception) as err:
        bad[TopicPartition(topic, 0, 50)].result(10)
    assert "OFFSET_OUT_OF_RANGE" in str(err.value) or "out of range" in str(err.value).lower()
    c.close()


def test_describe_cluster_log_dirs_and_broker_configs(broker: BrokerProcess) -> None:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    cluster = admin.describe_cluster().result(10)
    assert [n.port for n in cluster.nodes] == [broker.port]
    assert cluster.controller.id == cluster.nodes[0].id and cluster.cluster_id
    res = ConfigResource(ConfigResource.Type.BROKER, str(cluster.nodes[0].id))
    configs = admin.describe_configs([res])[res].result(10)
    assert configs["num.partitions"].value == "1"
    assert configs["log.segment.bytes"].value == "1073741824"
    kp = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    dirs = kp.describe_log_dirs()
    kp.close()
    text = repr(dirs)
    assert str(broker.data_dir.resolve()) in text


def test_alter_configs_topic_and_broker(broker: BrokerProcess) -> None:
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry
    from kafka.admin import ConfigResource as KpResource
    from kafka.admin import ConfigResourceType

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = f"alter-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, 1, 1, config={"retention.ms": "1000"})])[topic].result(10)
    res = ConfigResource(
        ConfigResource.Type.TOPIC,
        topic,
        incremental_configs=[
            ConfigEntry(
                "cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND
            ),
            ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE),
        ],
    )
    admin.incremental_alter_configs([res])[res].result(10)
    got = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    configs = next(iter(got.values())).result(10)
    assert configs["cleanup.policy"].value == "delete,compact"
    assert configs["retention.ms"].value == "604800000"  # back to the default
    # a bad value is rejected and nothing changes
    bad = ConfigResource(
        ConfigResource.Type.TOPIC,
        topic,
        incremental_configs=[
            ConfigEntry("segment.bytes", "nope", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    with pytest.raises(Exception, match=r"INVALID_CONFIG|Invalid value"):
        admin.incremental_alter_configs([bad])[bad].result(10)
    # a dynamic broker config applies to topics without their own value
    bres = ConfigResource(
        ConfigResource.Type.BROKER,
        "0",
        incremental_configs=[
            ConfigEntry("log.retention.ms", "5000", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    admin.incremental_alter_configs([bres])[bres].result(10)
    got = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    assert next(iter(got.values())).result(10)["retention.ms"].value == "5000"
    # AlterConfigs (non-incremental, kafka-python) replaces the topic's whole set
    kp = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    kp.alter_configs(
        [KpResource(ConfigResourceType.TOPIC, topic, configs={"max.message.bytes": "2048"})],
        incremental=False,
    )
    kp.close()
    got = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    final = next(iter(got.values())).result(10)
    assert final["max.message.bytes"].value == "2048"
    # kafka-python re-sends the other dynamic keys, so the appended policy survives
    assert final["cleanup.policy"].value == "delete,compact"
    bres2 = ConfigResource(
        ConfigResource.Type.BROKER,
        "0",
        incremental_configs=[
            ConfigEntry("log.retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)
        ],
    )
    admin.incremental_alter_configs([bres2])[bres2].result(10)


def test_alter_configs_replaces_the_whole_set(broker: BrokerProcess) -> None:
    from kio.schema.alter_configs.v2 import request as ac_v2

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topic = f"replace-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, 1, 1, config={"retention.ms": "1000"})])[topic].result(10)
    c = WireClient(broker.bootstrap)
    resp = c.request(
        33,
        2,
        ac_v2.AlterConfigsRequest(
            resources=(
                ac_v2.AlterConfigsResource(
                    resource_type=2,
                    resource_name=topic,
                    configs=(ac_v2.AlterableConfig(name="max.message.bytes", value="4096"),),
                ),
            ),
            validate_only=False,
        ),
    )
    assert resp.responses[0].error_code == 0
    c.close()
    got = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    configs = next(iter(got.values())).result(10)
    assert configs["max.message.bytes"].value == "4096"
    assert configs["retention.ms"].value == "604800000"  # the omitted override is gone


def test_create_time_bounds_refuse_old_records(broker: BrokerProcess) -> None:
    """message.timestamp.before.max.ms: a record older than the bound is INVALID_TIMESTAMP,
    a current one is stored."""
    topic = f"tsb-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    cfg = {"message.timestamp.before.max.ms": "60000"}
    admin.create_topics([NewTopic(topic, 1, 1, config=cfg)])[topic].result(10)
    p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "retries": 0})
    errors: list[KafkaError | None] = []
    now = int(time.time() * 1000)
    p.produce(topic, b"old", timestamp=now - 3_600_000, on_delivery=lambda e, m: errors.append(e))
    p.flush(10)  # one batch each: a bad record fails its whole batch
    p.produce(topic, b"new", timestamp=now, on_delivery=lambda e, m: errors.append(e))
    assert p.flush(10) == 0
    assert errors[0] is not None and errors[0].code() == KafkaError.INVALID_TIMESTAMP
    assert errors[1] is None
    cons = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "tsb"})
    try:
        assert cons.get_watermark_offsets(TopicPartition(topic, 0), timeout=10) == (0, 1)
    finally:
        cons.close()
