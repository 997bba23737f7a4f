"""Kafka's on-disk log: LogSegment (.log/.index/.timeindex), Log, recovery, retention, LogManager.

Modules: ``index`` (OffsetIndex, TimeIndex), ``segment`` (LogSegment), ``writeback`` (pacing of
the kernel's writeback of appended bytes), ``recovery`` (validate a
segment and cut an invalid tail), ``loader`` (open a partition dir, clean vs unclean start),
``validate`` (checks of a produce request's batches), ``log`` + ``log_read`` (Log: append,
read, roll, truncate, DeleteRecords, retention, ListOffsets), ``epoch`` (leader epoch cache),
``checkpoint`` (Kafka's text checkpoint files), ``log_manager`` (all logs of the data dirs),
``results`` (AppendInfo, FetchData); producer state and the transaction index live in
``producer_state`` and ``txn_index``. Log compaction: ``log_cleaner`` (LogCleaner, the
background driver), ``cleaner_selection`` (dirtiest log, cleanable range), ``cleaner`` (one
clean: offset map, grouping, copy), ``cleaner_process`` (cleans in worker processes),
``offset_map``, ``swap`` (crash-safe ``.cleaned``/``.swap``/``.deleted`` replacement and its
recovery) and ``cleaner_checkpoint`` (``cleaner-offset-checkpoint``).

The file layer is the only place that touches the disk; everything above talks to Log and
LogManager. Records stay opaque here: nothing on the produce or fetch path decodes records.
"""
