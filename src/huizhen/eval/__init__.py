"""Benchmark harnesses behind `huizhen eval ...`."""
