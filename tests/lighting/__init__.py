"""Tests of the show lighting core."""
