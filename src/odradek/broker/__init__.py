"""The broker: request dispatcher, one handler module per Kafka API (handlers/), purgatory,
partition routing and server bootstrap."""
