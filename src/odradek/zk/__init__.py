"""ZooKeeper-compatible coordination service.

Holds the jute codec, data tree, sessions, watches, request processor, txn log and snapshots,
and the asyncio edge. Nothing here imports broker code; the ecosystem reaches it over the wire.
"""
