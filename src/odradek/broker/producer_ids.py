"""Producer id allocation: blocks of ids reserved durably, handed out one by one.

Like Kafka's ``ProducerIdManager``, a broker reserves a block (1000 ids) in its metadata store
before handing out any id of it, so ids stay unique across restarts and crashes (a crash may skip
the rest of a block, never reuse it).
"""

from __future__ import annotations

from odradek.controller.metadata_store import TopicStore

BLOCK_SIZE = 1000


class ProducerIdManager:
    def __init__(self, store: TopicStore) -> None:
        self.store = store
        self._next = 0
        self._end = 0

    def next_id(self) -> int:
        if self._next >= self._end:
            self._next = self.store.allocate_producer_id_block(BLOCK_SIZE)
            self._end = self._next + BLOCK_SIZE
        pid = self._next
        self._next += 1
        return pid
