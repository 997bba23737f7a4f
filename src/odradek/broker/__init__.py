"""The broker: request dispatcher, one handler module per Kafka API (handlers/), purgatory, server bootstrap."""
