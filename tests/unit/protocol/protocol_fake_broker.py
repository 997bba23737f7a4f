"""A minimal single-partition Kafka endpoint built only from odradek.protocol codecs.

It answers ApiVersions (kio), Metadata, Produce and Fetch (hand-written codecs), keeps the
produced record batches in memory (assigning offsets in the batch header) and records every
request frame so tests can re-decode the exact bytes real clients sent.
"""

from __future__ import annotations

import datetime
import importlib
import socket
import struct
import threading
import uuid
from typing import Any

from kio.schema.errors import ErrorCode as KioErrorCode
from kio.static.primitive import i32Timedelta

from odradek.protocol import fetch, kio_codec, metadata, produce
from odradek.protocol.header import (
    decode_request_header,
    encode_response_header,
    response_header_flexible,
)

TOPIC = "golden"
TOPIC_ID = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
ADVERTISED = {
    0: (produce.MIN_VERSION, 11),
    1: (fetch.MIN_VERSION, fetch.MAX_VERSION),
    3: (0, 12),
    18: (0, 4),
}


class FakeBroker:
    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.frames: list[tuple[int, int, bytes]] = []  # (api_key, version, frame body)
        self.log = bytearray()
        self.next_offset = 0
        self.lock = threading.Lock()
        self.stopped = False
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.stopped = True
        self.sock.close()
        for conn in self.conns:
            conn.close()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while True:
                size = struct.unpack(">i", _read(conn, 4))[0]
                body = _read(conn, size)
                reply = self._handle(body)
                if reply is not None:
                    conn.sendall(struct.pack(">i", len(reply)) + reply)
        except (OSError, EOFError):
            conn.close()

    def _handle(self, body: bytes) -> bytes | None:
        buf = memoryview(body)
        hdr, off = decode_request_header(buf)
        with self.lock:
            self.frames.append((hdr.api_key, hdr.api_version, body))
        key, version = hdr.api_key, hdr.api_version
        if key == 18:
            payload = _api_versions(version)
            version = min(version, 4)
        elif key == 3:
            payload = self._metadata(version)
        elif key == 0:
            payload = self._produce(version, buf, off)
        elif key == 1:
            payload = self._fetch(version, buf, off)
        else:
            return None
        head = encode_response_header(hdr.correlation_id, response_header_flexible(key, version))
        return head + payload

    def _metadata(self, version: int) -> bytes:
        part = metadata.MetadataPartition(0, 0, 0, 0, [0], [0])
        topic = metadata.MetadataTopic(0, TOPIC, TOPIC_ID, False, [part])
        brokers = [(0, "127.0.0.1", self.port, None)]
        return metadata.encode_metadata_response(version, 0, brokers, "fake", 0, [topic])

    def _produce(self, version: int, buf: memoryview, off: int) -> bytes:
        req = produce.decode_produce_request(version, buf, off)
        results = []
        for t in req.topics:
            parts = []
            for p in t.partitions:
                base = self._append(p.records) if p.records is not None else -1
                parts.append(produce.PartitionResult(p.index, 0, base, -1, 0))
            results.append((t.name, parts))
        return produce.encode_produce_response(version, results, 0)

    def _append(self, records: memoryview) -> int:
        data = bytearray(records)
        with self.lock:
            first = self.next_offset
            pos = 0
            while pos < len(data):
                length = struct.unpack_from(">i", data, pos + 8)[0]
                last_delta = struct.unpack_from(">i", data, pos + 23)[0]
                struct.pack_into(">q", data, pos, self.next_offset)
                self.next_offset += last_delta + 1
                pos += 12 + length
            self.log += data
        return first

    def _fetch(self, version: int, buf: memoryview, off: int) -> bytes:
        req = fetch.decode_fetch_request(version, buf, off)
        topics = []
        with self.lock:
            log, hw = bytes(self.log), self.next_offset
        for t in req.topics:
            parts = []
            for p in t.partitions:
                data = [log] if p.fetch_offset < hw and log else []
                parts.append(
                    fetch.FetchPartitionResult(
                        p.partition, 0, hw, hw, 0, None, -1, data, sum(map(len, data))
                    )
                )
            topics.append(fetch.FetchTopicResult(TOPIC, TOPIC_ID, parts))
        return b"".join(fetch.encode_fetch_response(version, 0, 0, 0, topics))


def _read(conn: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = conn.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return bytes(out)


def _api_versions(version: int) -> bytes:
    error = KioErrorCode.none
    if version > 4:
        error, version = KioErrorCode.unsupported_version, 0
    cls = kio_codec.response_class(18, version)
    mod: Any = importlib.import_module(cls.__module__)
    keys = tuple(
        mod.ApiVersion(api_key=k, min_version=lo, max_version=hi)
        for k, (lo, hi) in sorted(ADVERTISED.items())
    )
    kw: dict[str, Any] = {"error_code": error, "api_keys": keys}
    if version >= 1:
        kw["throttle_time"] = i32Timedelta.parse(datetime.timedelta(0))
    return kio_codec.encode_response(cls(**kw))
