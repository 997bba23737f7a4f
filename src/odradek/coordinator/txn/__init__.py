"""The transaction coordinator: transactional ids, producer epochs and two-phase commit.

``records`` (``__transaction_state`` key/value layouts), ``metadata`` (per-id state and
``replay``), ``ops`` (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, timeouts
and expiry as ``op(state, request, now) -> records``), ``service`` (shards, completion of
transactions through a marker writer), ``markers`` (control batches), ``marker_sender``
(cluster mode: WriteTxnMarkers to partition leaders, with retries), ``driver`` (the broker
side: topic, loading on leadership, deadlines, the leader side of WriteTxnMarkers).

Transactional consumer offsets (TxnOffsetCommit) belong to the group coordinator
(:mod:`odradek.coordinator.group`), not here. Sans-IO except ``driver`` and ``marker_sender``.
"""
