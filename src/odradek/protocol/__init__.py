"""Kafka wire codec: framing, request/response headers, the API registry and message codecs.

Control-plane messages go through the `kio` schemas behind :mod:`odradek.protocol.kio_codec`;
the hot paths (Produce, Fetch, Metadata) are hand-written and zero-copy over record bytes.
No I/O lives here: functions take bytes and return bytes or values."""
