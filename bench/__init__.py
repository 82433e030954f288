"""Benchmarks: `make bench SIZE=rjh|stockholm|sweden` (see docs/benchmarks.md)."""
