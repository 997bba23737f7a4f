"""Operator tools (topics, produce, consume, dump-log, ...), modelled on Kafka's bin/ tools; over the wire only (dump-log reads files)."""
