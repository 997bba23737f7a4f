"""The transaction coordinator: transactional ids, producer epochs and two-phase commit.

``records`` (``__transaction_state`` key/value layouts), ``metadata`` (per-id state and
``replay``), ``ops`` (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, timeouts
and expiry as ``op(state, request, now) -> records``), ``service`` (shards, completion of
transactions through a marker writer), ``markers`` (control batches), ``offsets`` (pending
transactional offset commits), ``driver`` (the broker side: topic, loading, deadlines).

Sans-IO except ``driver``: markers reach partitions through an injected writer.
"""
