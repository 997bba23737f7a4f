"""A minimal blocking Kafka-protocol client for tests that need exact bytes on the wire."""

from __future__ import annotations

import socket
import struct
from typing import Any

from odradek.protocol import kio_codec
from odradek.protocol.header import (
    decode_response_header,
    encode_request_header,
    response_header_flexible,
)

_SIZE = struct.Struct(">i")


class WireClient:
    def __init__(self, bootstrap: str, timeout: float = 10.0) -> None:
        host, _, port = bootstrap.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout)
        self._cid = 0

    def close(self) -> None:
        self.sock.close()

    def send_frame(self, body: bytes) -> None:
        self.sock.sendall(_SIZE.pack(len(body)) + body)

    def recv_frame(self) -> bytes | None:
        """The next response frame body, or None when the server closed the connection."""
        head = self._recv_exact(4)
        if head is None:
            return None
        (size,) = _SIZE.unpack(head)
        return self._recv_exact(size)

    def _recv_exact(self, n: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def request(self, api_key: int, version: int, entity: Any) -> Any:
        """Send a kio request entity and decode the matching response entity."""
        self._cid += 1
        body = encode_request_header(api_key, version, self._cid, "wire-test")
        body += kio_codec.encode_request(entity)
        self.send_frame(body)
        frame = self.recv_frame()
        if frame is None:
            raise ConnectionError("server closed the connection")
        cid, off = decode_response_header(
            memoryview(frame), response_header_flexible(api_key, version)
        )
        assert cid == self._cid
        return kio_codec.decode_response(api_key, version, frame, off)
