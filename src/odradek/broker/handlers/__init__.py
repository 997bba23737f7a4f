"""One module per Kafka API; the registry in :mod:`odradek.broker.handlers.registry` drives dispatch and ApiVersions.

A handler decodes, calls one service, maps errors and builds the response. It never touches files or sockets."""
