"""Web console (over the wire only)."""
