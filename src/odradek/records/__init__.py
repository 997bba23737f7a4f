"""Record batches (magic v2): zero-copy header views, batch building, compression codecs.

``batch`` (61-byte header over a memoryview, CRC32C, in-place offset/epoch/timestamp rewrites),
``record`` (varints, decoding records for tools, compaction and tests), ``compression``
(gzip/snappy/lz4/zstd via cramjam), ``builder`` (v2 batches from records), ``rebatch`` (raw
record walk and batch rebuild for the log cleaner).
Pure functions over bytes; no I/O, nothing imported from above ``common``."""
