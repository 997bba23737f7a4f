"""Coordinators as replicated state machines: the runtime, consumer groups (group/), transactions (txn/)."""
