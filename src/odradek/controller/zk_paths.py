"""Kafka's ZooKeeper layout (ZooKeeper mode) and the JSON of each znode, as pure functions.

Paths (relative to the ``zookeeper.connect`` chroot)::

    /cluster/id                              {"version":"1","id":"<22-char base64 uuid>"}
    /controller                  ephemeral   {"version":1,"brokerid":N,"timestamp":"ms"}
    /controller_epoch                        "E"
    /brokers/ids/N               ephemeral   {"version":5,"host":..,"port":..,"endpoints":[..],..}
    /brokers/topics/T                        {"version":3,"topic_id":..,"partitions":{"0":[1,2]},
                                              "adding_replicas":{},"removing_replicas":{}}
    /brokers/topics/T/partitions/P/state     {"version":1,"leader":N,"leader_epoch":E,
                                              "isr":[..],"controller_epoch":C}
    /config/topics/T                         {"version":1,"config":{..}}
    /config/brokers/<default>                {"version":1,"config":{..}}
    /config/changes/config_change_NNNNNNNNNN {"version":2,"entity_path":"topics/T"}
    /admin/delete_topics/T
    /admin/reassign_partitions               {"version":1,"partitions":[{"topic":..,"partition":..,
                                              "replicas":[..]}]}
    /isr_change_notification/isr_change_NNNNNNNNNN {"version":1,"partitions":[{"topic":..,
                                              "partition":..}]}
    /latest_producer_id_block                {"version":1,"broker":N,"block_start":"S",
                                              "block_end":"E"}
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

CLUSTER_ID = "/cluster/id"
CONTROLLER = "/controller"
CONTROLLER_EPOCH = "/controller_epoch"
BROKER_IDS = "/brokers/ids"
BROKER_TOPICS = "/brokers/topics"
CONFIG_TOPICS = "/config/topics"
CONFIG_BROKERS = "/config/brokers"
CONFIG_CHANGES = "/config/changes"
DELETE_TOPICS = "/admin/delete_topics"
REASSIGN_PARTITIONS = "/admin/reassign_partitions"
ISR_CHANGES = "/isr_change_notification"
PRODUCER_ID_BLOCK = "/latest_producer_id_block"

PERSISTENT_PATHS = (
    BROKER_IDS,
    BROKER_TOPICS,
    CONFIG_TOPICS,
    CONFIG_BROKERS,
    CONFIG_CHANGES,
    DELETE_TOPICS,
    ISR_CHANGES,
    "/cluster",
)


def broker_path(node_id: int) -> str:
    return f"{BROKER_IDS}/{node_id}"


def topic_path(topic: str) -> str:
    return f"{BROKER_TOPICS}/{topic}"


def partitions_path(topic: str) -> str:
    return f"{BROKER_TOPICS}/{topic}/partitions"


def partition_state_path(topic: str, partition: int) -> str:
    return f"{BROKER_TOPICS}/{topic}/partitions/{partition}/state"


def topic_config_path(topic: str) -> str:
    return f"{CONFIG_TOPICS}/{topic}"


def split_chroot(connect: str) -> tuple[str, str]:
    """``host1:2181,host2:2181/kafka`` → (hosts, chroot or "")."""
    slash = connect.find("/")
    if slash < 0:
        return connect, ""
    return connect[:slash], connect[slash:].rstrip("/")


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _load(data: bytes) -> Any:
    return json.loads(data.decode()) if data else {}


def topic_id_to_str(topic_id: uuid.UUID) -> str:
    """Kafka prints topic ids as URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(topic_id.bytes).decode().rstrip("=")


def topic_id_from_str(text: str) -> uuid.UUID:
    return uuid.UUID(bytes=base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


# ---------------------------------------------------------------- brokers


@dataclass(frozen=True, slots=True)
class BrokerRegistration:
    node_id: int
    host: str
    port: int
    rack: str | None = None
    epoch: int = -1  # the registration znode's czxid (Kafka's broker epoch)


def encode_broker(reg: BrokerRegistration) -> bytes:
    doc: dict[str, Any] = {
        "listener_security_protocol_map": {"PLAINTEXT": "PLAINTEXT"},
        "endpoints": [f"PLAINTEXT://{reg.host}:{reg.port}"],
        "jmx_port": -1,
        "features": {},
        "host": reg.host,
        "timestamp": str(int(time.time() * 1000)),
        "port": reg.port,
        "version": 5,
    }
    if reg.rack is not None:
        doc["rack"] = reg.rack
    return _dump(doc)


def decode_broker(node_id: int, data: bytes) -> BrokerRegistration:
    doc = _load(data)
    host, port = doc.get("host"), doc.get("port", -1)
    for ep in doc.get("endpoints", []):
        _, _, rest = str(ep).rpartition("://")
        h, _, p = rest.rpartition(":")
        host, port = h, int(p)
        break
    return BrokerRegistration(node_id, str(host), int(port), doc.get("rack"))


# ---------------------------------------------------------------- topics


@dataclass(frozen=True, slots=True)
class TopicAssignment:
    topic_id: uuid.UUID
    partitions: dict[int, tuple[int, ...]]
    adding: dict[int, tuple[int, ...]]
    removing: dict[int, tuple[int, ...]]


def encode_topic(a: TopicAssignment) -> bytes:
    def m(d: dict[int, tuple[int, ...]]) -> dict[str, list[int]]:
        return {str(p): list(r) for p, r in sorted(d.items())}

    return _dump(
        {
            "version": 3,
            "topic_id": topic_id_to_str(a.topic_id),
            "partitions": m(a.partitions),
            "adding_replicas": m(a.adding),
            "removing_replicas": m(a.removing),
        }
    )


def decode_topic(data: bytes) -> TopicAssignment:
    doc = _load(data)

    def m(key: str) -> dict[int, tuple[int, ...]]:
        return {int(p): tuple(int(x) for x in r) for p, r in (doc.get(key) or {}).items()}

    raw_id = doc.get("topic_id")
    topic_id = topic_id_from_str(raw_id) if raw_id else uuid.UUID(int=0)
    return TopicAssignment(topic_id, m("partitions"), m("adding_replicas"), m("removing_replicas"))


@dataclass(frozen=True, slots=True)
class PartitionState:
    """``LeaderIsrAndControllerEpoch`` plus the znode version it was read at."""

    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    controller_epoch: int
    zk_version: int = -1


def encode_state(s: PartitionState) -> bytes:
    return _dump(
        {
            "controller_epoch": s.controller_epoch,
            "leader": s.leader,
            "version": 1,
            "leader_epoch": s.leader_epoch,
            "isr": list(s.isr),
        }
    )


def decode_state(data: bytes, zk_version: int) -> PartitionState:
    doc = _load(data)
    return PartitionState(
        int(doc["leader"]),
        int(doc["leader_epoch"]),
        tuple(int(x) for x in doc["isr"]),
        int(doc["controller_epoch"]),
        zk_version,
    )


def encode_config(config: dict[str, str]) -> bytes:
    return _dump({"version": 1, "config": config})


def decode_config(data: bytes) -> dict[str, str]:
    return {str(k): str(v) for k, v in (_load(data).get("config") or {}).items()}


# ---------------------------------------------------------------- controller and admin


def encode_controller(node_id: int) -> bytes:
    return _dump({"version": 1, "brokerid": node_id, "timestamp": str(int(time.time() * 1000))})


def decode_controller(data: bytes) -> int:
    try:
        return int(_load(data)["brokerid"])
    except (KeyError, ValueError, TypeError):
        return -1


def encode_cluster_id(cluster_id: str) -> bytes:
    return _dump({"version": "1", "id": cluster_id})


def decode_cluster_id(data: bytes) -> str:
    return str(_load(data)["id"])


def encode_reassignment(moves: dict[tuple[str, int], tuple[int, ...]]) -> bytes:
    parts = [
        {"topic": t, "partition": p, "replicas": list(r)} for (t, p), r in sorted(moves.items())
    ]
    return _dump({"version": 1, "partitions": parts})


def decode_reassignment(data: bytes) -> dict[tuple[str, int], tuple[int, ...]]:
    doc = _load(data)
    return {
        (str(e["topic"]), int(e["partition"])): tuple(int(x) for x in e["replicas"])
        for e in doc.get("partitions", [])
    }


def encode_isr_change(partitions: list[tuple[str, int]]) -> bytes:
    return _dump(
        {"version": 1, "partitions": [{"topic": t, "partition": p} for t, p in partitions]}
    )


def decode_isr_change(data: bytes) -> list[tuple[str, int]]:
    return [(str(e["topic"]), int(e["partition"])) for e in _load(data).get("partitions", [])]


def encode_producer_block(broker: int, start: int, end: int) -> bytes:
    return _dump({"version": 1, "broker": broker, "block_start": str(start), "block_end": str(end)})


def decode_producer_block_end(data: bytes) -> int:
    doc = _load(data)
    return int(doc.get("block_end", -1)) if doc else -1
