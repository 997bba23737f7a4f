"""Partition leadership, followers, ISR and the high watermark (cluster mode).

- ``partition``: one partition's leader/follower state, ISR and high-watermark rules (sans-IO).
- ``truncation``: OffsetForLeaderEpoch answers and follower truncation (pure, KIP-101/279).
- ``metadata_cache``: the broker's view of the cluster from UpdateMetadata.
- ``manager``: applies LeaderAndIsr/StopReplica, drives the leader side of replication.
- ``fetcher``: the follower's fetch loop against one leader.
- ``throttle``: replication quotas on throttled replicas (KIP-73), used by the fetcher and the
  leader's replica fetch path.
- ``wire``: codecs of LeaderAndIsr, UpdateMetadata, StopReplica and ControlledShutdown.

ZooKeeper is reached only through callbacks injected by the broker (``controller`` is a layer
above this package).
"""
