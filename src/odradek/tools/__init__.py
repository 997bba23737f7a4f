"""Operator tools (topics, produce, consume, dump-log, ...), modelled on Kafka's bin/ tools.

Over the wire only, through ``odradek.client``; dump-log reads segment files.
"""
