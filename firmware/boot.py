"""Runs first at power-on; PropNet needs nothing here, so boot stays minimal."""
