"""Props on MQTT becoming Home Assistant devices: discovery, state and commands."""
