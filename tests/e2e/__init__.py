"""End-to-end tests through a real broker and a real hass process."""
