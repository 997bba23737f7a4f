"""ControllerChannel: the controller's queue of requests to each live broker.

One sender task per broker sends its requests in order, one at a time, retrying a request while
the broker stays registered (Kafka's ``ControllerChannelManager`` / ``RequestSendThread``).
A broker removed from the channel loses its queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from odradek.net.client import BrokerClient
from odradek.protocol.header import encode_request_header
from odradek.replication import wire

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    broker: int
    api_key: int
    version: int
    body: bytes


class _Sender:
    def __init__(self, controller_id: int, broker: int, host: str, port: int) -> None:
        self.controller_id = controller_id
        self.broker = broker
        self.addr = (host, port)
        self.client = BrokerClient(host, port)
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue()
        self.busy = False
        self.task = asyncio.create_task(self._run(), name=f"controller-send-{broker}")

    @property
    def idle(self) -> bool:
        return self.queue.empty() and not self.busy

    async def _run(self) -> None:
        while True:
            item = await self.queue.get()
            self.busy = True
            try:
                await self._deliver(item)
            finally:
                self.busy = False

    async def _deliver(self, item: Outgoing) -> None:
        for attempt in range(1000):
            try:
                await self._send(item)
                return
            except (ConnectionError, OSError) as exc:
                if attempt % 20 == 0:
                    log.info("controller -> broker %d: %s; retrying", self.broker, exc)
                await asyncio.sleep(0.1)

    async def _send(self, item: Outgoing) -> None:
        cid = self.client.next_correlation_id()
        head = encode_request_header(
            item.api_key, item.version, cid, f"controller-{self.controller_id}"
        )
        resp = await self.client.request(cid, [head, item.body], 30.0)
        error = wire.decode_error_only(resp, 0)
        if error:
            log.warning("broker %d answered api %d with error %d", self.broker, item.api_key, error)

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.client.close()


class ControllerChannel:
    def __init__(self, controller_id: int) -> None:
        self.controller_id = controller_id
        self._senders: dict[int, _Sender] = {}
        self._closing: set[asyncio.Future[None]] = set()

    def set_brokers(self, brokers: dict[int, tuple[str, int]]) -> None:
        for b in list(self._senders):
            if b not in brokers or self._senders[b].addr != brokers[b]:
                self._close(b)
        for b, (host, port) in brokers.items():
            if b not in self._senders:
                self._senders[b] = _Sender(self.controller_id, b, host, port)

    def _close(self, broker: int) -> None:
        sender = self._senders.pop(broker, None)
        if sender is not None:
            task = asyncio.ensure_future(sender.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def send(self, out: Outgoing) -> None:
        sender = self._senders.get(out.broker)
        if sender is not None:
            sender.queue.put_nowait(out)

    async def drain(self, timeout_s: float) -> None:
        """Wait (bounded) until every queued request has been delivered."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline and not all(s.idle for s in self._senders.values()):
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        for b in list(self._senders):
            sender = self._senders.pop(b)
            await sender.close()
