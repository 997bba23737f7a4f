"""Shared foundations: typed ids, the clock, Kafka error codes, config parsing, varints.

Imports nothing else from odradek."""
