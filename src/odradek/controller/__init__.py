"""Cluster metadata: the topic metadata store and, in cluster mode, the ZooKeeper-based
controller (Kafka's ZooKeeper mode).

- ``metadata_store``: the :class:`TopicStore` protocol and the single-node file store.
- ``zk_paths``: Kafka's znode layout and the JSON of each znode (pure).
- ``zk_store``: the :class:`TopicStore` over kazoo, with watch-fed caches; broker registration;
  partition-state compare-and-set for leaders' ISR changes.
- ``assignment``: replica assignment for new topics and partitions, and validation of explicit
  assignments (pure).
- ``election``: leader election rules (pure).
- ``context``: the controller's in-memory cluster view and the requests it implies.
- ``channel``: the controller's per-broker request queues.
- ``controller``: election of the controller and its event loop.
- ``admin_ops``: reassignment, ElectLeaders, controlled shutdown, preferred-leader rebalance.

Nothing here serves client requests; broker handlers call into it.
"""
