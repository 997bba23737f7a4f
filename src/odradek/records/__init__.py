"""Record batches (magic v2): zero-copy header views, batch building, compression codecs.

Pure functions over bytes; no I/O."""
