"""Incremental fetch sessions on the wire: only changed partitions come back."""

from __future__ import annotations

import datetime
import uuid

import pytest
from kio.schema.fetch.v12 import request as fetch_v12
from kio.schema.metadata.v12.request import MetadataRequest, MetadataRequestTopic
from kio.schema.produce.v9 import request as produce_v9

from odradek.records.builder import SimpleRecord, build_batch
from odradek.testing.process import BrokerProcess
from odradek.testing.wire import WireClient

pytestmark = pytest.mark.interop


def _fetch(
    c: WireClient, session_id: int, epoch: int, topics: tuple, forgotten: tuple = ()
) -> object:
    req = fetch_v12.FetchRequest(
        replica_id=-1,
        max_wait=datetime.timedelta(0),
        min_bytes=0,
        max_bytes=1 << 20,
        isolation_level=0,
        session_id=session_id,
        session_epoch=epoch,
        topics=topics,
        forgotten_topics_data=forgotten,
        rack_id="",
    )
    return c.request(1, 12, req)


def _part(p: int, offset: int) -> fetch_v12.FetchPartition:
    return fetch_v12.FetchPartition(
        partition=p,
        current_leader_epoch=-1,
        fetch_offset=offset,
        last_fetched_epoch=-1,
        log_start_offset=-1,
        partition_max_bytes=1 << 20,
    )


def test_incremental_session_returns_only_changes(broker: BrokerProcess) -> None:
    topic = f"sess-{uuid.uuid4().hex[:6]}"
    c = WireClient(broker.bootstrap)
    c.request(
        3,
        12,
        MetadataRequest(
            topics=(MetadataRequestTopic(topic_id=None, name=topic),),
            allow_auto_topic_creation=True,
            include_topic_authorized_operations=False,
        ),
    )
    full = _fetch(c, 0, 0, (fetch_v12.FetchTopic(topic=topic, partitions=(_part(0, 0),)),))
    assert full.error_code == 0 and full.session_id != 0
    assert [p.partition_index for t in full.responses for p in t.partitions] == [0]
    sid = full.session_id
    # nothing changed: the incremental response is empty
    inc = _fetch(c, sid, 1, ())
    assert inc.error_code == 0 and inc.session_id == sid and inc.responses == ()
    # new data: the partition comes back, with its records, without being named
    batch = build_batch([SimpleRecord(b"k", b"v")], timestamp=1_700_000_000_000)
    c.request(
        0,
        9,
        produce_v9.ProduceRequest(
            transactional_id=None,
            acks=1,
            timeout=datetime.timedelta(seconds=5),
            topic_data=(
                produce_v9.TopicProduceData(
                    name=topic,
                    partition_data=(produce_v9.PartitionProduceData(index=0, records=batch),),
                ),
            ),
        ),
    )
    inc2 = _fetch(c, sid, 2, ())
    parts = [p for t in inc2.responses for p in t.partitions]
    assert len(parts) == 1 and parts[0].high_watermark == 1 and parts[0].records
    # wrong epoch and unknown session are refused with their error codes
    assert _fetch(c, sid, 2, ()).error_code == 71  # INVALID_FETCH_SESSION_EPOCH
    assert _fetch(c, sid + 1, 1, ()).error_code == 70  # FETCH_SESSION_ID_NOT_FOUND
    c.close()
