"""One module per Kafka API; :mod:`odradek.broker.handlers.registry` lists them and drives
dispatch and ApiVersions.

A handler decodes, calls one service, maps errors and builds the response. It never touches
files or sockets.
"""
