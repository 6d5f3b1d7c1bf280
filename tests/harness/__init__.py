"""Real parts for tests and the demo: a mosquitto broker and a hass process."""
