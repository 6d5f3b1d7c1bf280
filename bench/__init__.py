"""Benchmarks; each module prints its figures and the command that reproduces it."""
