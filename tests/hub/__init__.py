"""Tests of props becoming Home Assistant devices."""
