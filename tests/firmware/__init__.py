"""Tests of the prop firmware and its host tool."""
