"""A SQL layer in the spirit of ksqlDB (over the wire only)."""
