"""Asyncio servers and outbound connections: framing on the socket, ordered responses per connection.

The only broker-side package besides storage that touches sockets."""
