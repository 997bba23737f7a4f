"""What the tools and the ecosystem share on top of confluent-kafka.

``config`` (client properties, ``--command-config``), ``admin`` (AdminClient factory, blocking
future waits with readable errors), ``serde`` (console line/text/JSON formats). Reaches servers
only over the wire: never imports broker, storage or zk internals.
"""
