"""Kafka's on-disk log: LogSegment (.log/.index/.timeindex), Log, recovery, retention, LogManager.

The file layer is the only place that touches the disk; everything above talks to Log."""
