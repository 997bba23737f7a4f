"""Topic metadata for the self-contained single-node mode, persisted in the data directory.

The store holds, per topic: its id (a UUID, KIP-516), partition count, replication factor and the
topic-level config overrides. It is behind the small :class:`TopicStore` protocol because in
cluster mode the same facts live in ZooKeeper (``/brokers/topics/T``, ``/config/topics/T``).

File format: ``<data_dir>/__cluster_metadata.json``, rewritten atomically (temp file, fsync,
rename, fsync of the directory) on every change, so a ``kill -9`` leaves either the old or the
new content. Dynamic broker configs (``AlterConfigs`` on a broker) are stored in the same file.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

Assignment = dict[int, tuple[int, ...]]

FILE_NAME = "__cluster_metadata.json"


@dataclass(frozen=True, slots=True)
class TopicInfo:
    name: str
    topic_id: uuid.UUID
    partitions: int
    replication_factor: int = 1
    configs: dict[str, str] = field(default_factory=dict)


class TopicStore(Protocol):
    cluster_id: str

    def topics(self) -> dict[str, TopicInfo]: ...

    def get(self, name: str) -> TopicInfo | None: ...

    def create(self, info: TopicInfo, assignment: Assignment | None = None) -> None: ...

    def delete(self, name: str) -> None: ...

    def set_partitions(
        self, name: str, count: int, assignment: Assignment | None = None
    ) -> None: ...

    def set_configs(self, name: str, configs: dict[str, str]) -> None: ...

    def broker_configs(self) -> dict[str, str]: ...

    def set_broker_configs(self, configs: dict[str, str]) -> None: ...

    def allocate_producer_id_block(self, size: int) -> int: ...


class FileTopicStore:
    """A :class:`TopicStore` kept in one JSON file, replaced atomically on each change."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        self._topics: dict[str, TopicInfo] = {}
        self._broker_configs: dict[str, str] = {}
        self.cluster_id = ""
        self._next_producer_id = 0
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            self.cluster_id = _new_cluster_id()
            self._save()
            return
        doc = json.loads(self.path.read_text())
        self.cluster_id = doc["cluster_id"]
        self._broker_configs = dict(doc.get("broker_configs", {}))
        self._next_producer_id = int(doc.get("next_producer_id", 0))
        for name, t in doc.get("topics", {}).items():
            self._topics[name] = TopicInfo(
                name=name,
                topic_id=uuid.UUID(t["id"]),
                partitions=int(t["partitions"]),
                replication_factor=int(t.get("replication_factor", 1)),
                configs=dict(t.get("configs", {})),
            )

    def _save(self) -> None:
        doc = {
            "version": 1,
            "cluster_id": self.cluster_id,
            "broker_configs": self._broker_configs,
            "next_producer_id": self._next_producer_id,
            "topics": {
                t.name: {
                    "id": str(t.topic_id),
                    "partitions": t.partitions,
                    "replication_factor": t.replication_factor,
                    "configs": t.configs,
                }
                for t in self._topics.values()
            },
        }
        tmp = self.path.with_suffix(".tmp")
        data = json.dumps(doc, indent=1, sort_keys=True).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dfd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def topics(self) -> dict[str, TopicInfo]:
        return dict(self._topics)

    def get(self, name: str) -> TopicInfo | None:
        return self._topics.get(name)

    def create(self, info: TopicInfo, assignment: Assignment | None = None) -> None:
        # one node: every replica is this broker, an explicit assignment adds nothing to keep
        self._topics[info.name] = info
        self._save()

    def delete(self, name: str) -> None:
        self._topics.pop(name, None)
        self._save()

    def set_partitions(self, name: str, count: int, assignment: Assignment | None = None) -> None:
        self._topics[name] = replace(self._topics[name], partitions=count)
        self._save()

    def set_configs(self, name: str, configs: dict[str, str]) -> None:
        self._topics[name] = replace(self._topics[name], configs=dict(configs))
        self._save()

    def broker_configs(self) -> dict[str, str]:
        return dict(self._broker_configs)

    def set_broker_configs(self, configs: dict[str, str]) -> None:
        self._broker_configs = dict(configs)
        self._save()

    def allocate_producer_id_block(self, size: int) -> int:
        """Reserve ``size`` producer ids durably; returns the first. Ids are never reused."""
        start = self._next_producer_id
        self._next_producer_id = start + size
        self._save()
        return start


def _new_cluster_id() -> str:
    """A 22-character URL-safe base64 UUID, the format Kafka uses for cluster ids."""
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
