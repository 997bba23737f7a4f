"""The cleaner's offset map: key → offset of the key's latest record in the dirty section.

Kafka's ``SkimpyOffsetMap`` stores 16-byte MD5 digests in a fixed buffer sized by
``log.cleaner.dedupe.buffer.size``; here the map is a dict keyed by the key bytes (exact, no
hash collisions) whose capacity in entries is computed the way Kafka computes it (24 bytes per
entry, load factor 0.9), so the same settings bound how much of a dirty section one clean
covers. When the map is full the cleaner stops at the last whole segment it mapped.
"""

from __future__ import annotations

BYTES_PER_ENTRY = 24  # Kafka: 16-byte MD5 + 8-byte offset
LOAD_FACTOR = 0.9


class OffsetMap:
    """Latest offset per key; ``put`` keeps the larger offset."""

    def __init__(self, buffer_bytes: int) -> None:
        self.slots = max(1, int(buffer_bytes * LOAD_FACTOR) // BYTES_PER_ENTRY)
        self._map: dict[bytes, int] = {}
        self.latest_offset = -1

    def put(self, key: bytes, offset: int) -> None:
        self._map[key] = offset
        if offset > self.latest_offset:
            self.latest_offset = offset

    def get(self, key: bytes) -> int:
        """Offset of the key's latest record, or -1 when the key is not in the dirty section."""
        return self._map.get(key, -1)

    @property
    def size(self) -> int:
        return len(self._map)

    def is_full(self) -> bool:
        return len(self._map) >= self.slots

    def utilization(self) -> float:
        return len(self._map) / self.slots

    def clear(self) -> None:
        self._map.clear()
        self.latest_offset = -1
