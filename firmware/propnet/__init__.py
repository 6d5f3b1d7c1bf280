"""PropNet prop firmware: runs on MicroPython (ESP32) and on the unix port with stubs."""

VERSION = "0.2.0"
