"""Kafka wire codec: framing, request/response headers, the API registry and message codecs.

No I/O lives here: functions take bytes (a frame body without its 4-byte size prefix) and
return bytes, buffer lists or values. Modules:

* ``primitives`` - int/varint/string/bytes/array/uuid/tagged-field readers and writers.
* ``header`` - request header v0/v1/v2 decode, response header v0/v1 encode, header versions.
* ``kio_codec`` - the only door to the ``kio`` schemas, for control-plane messages.
* ``produce`` / ``fetch`` / ``metadata`` - hand-written hot paths; record sets stay
  memoryview slices on decode and caller-owned buffers on encode (never joined or copied).
* ``tagged`` - tagged-field structs shared by the hand-written codecs.
* ``shapes`` - version-agnostic construction of kio messages from plain data.

Nothing here may import from layers above (net, storage, broker, ...).
"""
