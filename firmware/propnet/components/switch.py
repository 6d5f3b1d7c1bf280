"""A GPIO switch or relay, optionally pulsed; off at boot, always."""

import asyncio

from . import Component as Base, flag


class Component(Base):
    """A relay or solenoid on one pin."""

    stateful = True

    def __init__(self, node, cfg):
        """Drive the pin to its off level before anything else happens."""
        super().__init__(node, cfg)
        self.invert = cfg.get("invert", False)
        self.pin = node.hw.output(cfg["pin"], 1 if self.invert else 0)
        self.pulse_ms = int(cfg.get("pulse", 0) * 1000)
        self.on = False
        self._pulse = None

    def state(self):
        """Return whether the output is on."""
        return self.on

    def set(self, on):
        """Switch, publishing the new state."""
        self.on = on
        self.pin.value(1 if on != self.invert else 0)
        self.node.changed(self.key)
        if self._pulse is not None:
            self._pulse.cancel()
            self._pulse = None
        if on and self.pulse_ms:
            self._pulse = asyncio.create_task(self._off_later())

    async def _off_later(self):
        await asyncio.sleep_ms(self.pulse_ms)
        self._pulse = None
        self.set(False)

    def command(self, action, value, params):
        """Accept ``set`` with true or false."""
        if action != "set":
            return super().command(action, value, params)
        self.set(flag(value))
        return None

    def safe(self):
        """Switch off."""
        if self.on:
            self.set(False)
