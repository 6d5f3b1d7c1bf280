"""Where show lighting commands come from besides MQTT: consoles on serial lines."""
