"""Tests for PropNet."""
