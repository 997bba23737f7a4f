"""Consumer groups and committed offsets: Kafka's group coordinator as a replicated state machine.

What lives here (sans-IO unless noted): ``records`` (``__consumer_offsets`` key/value layouts),
``state`` (a partition's groups and ``replay``, the only mutator of durable state),
``classic``/``rebalance``/``join``/``membership`` (the JoinGroup/SyncGroup protocol),
``consumer_state``/``consumer``/``assignors`` (KIP-848), ``offsets`` and ``admin`` (commits,
expiry, describe/list/delete), ``service`` (routing by partition, deadlines) and ``driver`` (the
asyncio edge that runs it inside a broker). What must not: sockets, files, the broker package.
"""
