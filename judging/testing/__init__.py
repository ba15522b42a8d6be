"""Test doubles that the tests and the benchmarks share (no pytest imports here)."""
