"""Benchmarks that print figures (never assert speed)."""
