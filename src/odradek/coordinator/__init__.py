"""Coordinators as replicated state machines.

``runtime`` (ops, records, replay, deadlines), ``group/`` (consumer groups and committed offsets
in ``__consumer_offsets``), ``txn/`` (transactions). Sans-IO: nothing here touches sockets or
files; partitions are reached through the runtime's writer/reader protocols.
"""
