"""Typed identifiers used across odradek (Kafka's vocabulary)."""

from __future__ import annotations

from typing import NewType

Offset = NewType("Offset", int)
PartitionId = NewType("PartitionId", int)
NodeId = NewType("NodeId", int)
ProducerId = NewType("ProducerId", int)
Zxid = NewType("Zxid", int)
