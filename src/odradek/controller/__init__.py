"""Cluster metadata: the topic metadata store and, in cluster mode, the ZooKeeper-based
controller."""
