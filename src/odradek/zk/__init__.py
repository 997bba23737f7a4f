"""The ZooKeeper-compatible coordination service: jute codec, data tree, sessions, watches, ensemble."""
