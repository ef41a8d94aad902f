"""Tests of the tools/ scripts: the entry point, the locks, the sample lessons, the deterministic experts."""
