"""Partition leadership, followers, ISR and the high watermark."""
