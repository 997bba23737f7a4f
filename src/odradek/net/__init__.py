"""Asyncio servers and outbound connections: framing on the socket, ordered responses per
connection. With storage, the only broker-side package that touches the OS."""
