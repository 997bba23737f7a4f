"""Kafka Connect workers and connectors (over the wire only)."""
