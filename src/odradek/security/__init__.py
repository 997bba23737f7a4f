"""SASL mechanisms and ACL evaluation (pure)."""
