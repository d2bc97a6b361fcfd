"""A synthetic register for demos and benchmarks: realistic people, deterministic for a seed."""
