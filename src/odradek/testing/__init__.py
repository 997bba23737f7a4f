"""Test support: virtual clock, simulated network, faulty files, process harness."""
