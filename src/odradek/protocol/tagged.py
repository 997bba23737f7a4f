"""Tagged-field structs shared by the hand-written codecs (flexible versions only).

* ``current_leader`` (Produce v10+ partition tag 0, Fetch v12+ partition tag 1):
  leader_id INT32, leader_epoch INT32, empty tag section.
* ``node_endpoints`` (Produce v10+ / Fetch v16+ response tag 0, KIP-951):
  COMPACT_ARRAY of node_id INT32, host COMPACT_STRING, port INT32,
  rack COMPACT_NULLABLE_STRING, empty tag section.

The functions return the tag *value*; callers write ``tag``, ``size`` and the value.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from odradek.protocol.primitives import INT32, uvarint, write_string

_LEADER = struct.Struct(">iib")


@dataclass(frozen=True, slots=True)
class NodeEndpoint:
    """A broker endpoint advertised to clients so they can re-route without a Metadata call."""

    node_id: int
    host: str
    port: int
    rack: str | None = None


def leader_tag(leader_id: int, leader_epoch: int) -> bytes:
    """The 9-byte LeaderIdAndEpoch struct."""
    return _LEADER.pack(leader_id, leader_epoch, 0)


def node_endpoints_tag(endpoints: Sequence[NodeEndpoint]) -> bytes:
    """The NodeEndpoints compact array."""
    out = bytearray(uvarint(len(endpoints) + 1))
    for ep in endpoints:
        out += INT32.pack(ep.node_id)
        write_string(out, ep.host, True)
        out += INT32.pack(ep.port)
        write_string(out, ep.rack, True)
        out.append(0)
    return bytes(out)
