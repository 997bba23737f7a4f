"""MQTT proxy into Kafka topics (over the wire only)."""
