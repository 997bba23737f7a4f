"""The replicated ensemble: fast leader election and Zab (discovery, sync, broadcast).

Sans-IO (``now`` in ms passed in, outputs are queued actions):
  ``messages``  quorum messages and their byte encoding
  ``election``  fast leader election by (epoch, last zxid, server id)
  ``peer``      the quorum peer: persistent epochs, history, role switching
  ``leader``/``learner``  the two Zab roles (followers and observers are learners)
  ``actions``   what the peer asks its driver to do (send, log, apply, snapshot, truncate)
  ``core``      the client side of a member (writes through Zab, reads local, ``sync``)
  ``readonly``  read-only mode of a member without a quorum (``readonlymode.enabled``)

Edge (asyncio): ``transport`` (peer links with sequence numbers) and ``server`` (clients of an
ensemble member: forwarded writes, commits applied through ``DataTree.apply``). Nothing here is
imported by the standalone server; ``odradek.zk.main`` picks the ensemble when zoo.cfg lists
more than one ``server.N``.
"""
