"""Stream processing DSL (over the wire only)."""
