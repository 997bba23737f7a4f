"""What the tools and the ecosystem share on top of confluent-kafka. Reaches servers only over the wire."""
