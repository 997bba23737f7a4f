"""ZooKeeper-compatible coordination service (``odradek zk``), standalone or an ensemble.

Sans-IO core (no sockets, files or clocks; ``now`` is passed in):
  ``jute``/``records``/``codes``  wire encoding, Stat/ACL records, opcodes and error codes
  ``txn``        transactions, the unit of the log (and later of atomic broadcast)
  ``tree``       the data tree; ``DataTree.apply(txn)`` is the only mutation path
  ``watches``    watch tables with ZooKeeper's trigger rules (standard, persistent, recursive)
  ``sessions``   session tracker with tick-bucket expiry
  ``acl``/``paths``  ACL evaluation (world, auth, digest, ip) and path validation
  ``processor``  turns a write request into a txn, validated against outstanding changes
  ``reads``      read requests; ``core`` ties connections, sessions and requests together
  ``stats``      request latency (read/update summaries) and packet counters for the 4lw

Edge (asyncio, files): ``connection`` (framing, 4lw detection), ``server`` (group-committed
txn log, snapshots, timers), ``txnlog``/``snapshot``/``database`` (on-disk format, restore,
purge), ``config`` (zoo.cfg), ``fourlw``/``admin`` (monitoring), ``main`` (CLI).

``ensemble/`` (election, Zab, peer links) builds on ``Processor.prep`` (leader) and
``DataTree.apply`` (everyone, on commit); ``main`` runs it when zoo.cfg lists servers;
nothing here may import broker code, and the ecosystem reaches it only over the wire.
"""
