"""Tests of the HA-free wire contract package."""
