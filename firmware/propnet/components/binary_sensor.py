"""A GPIO input with debounce, inversion and delayed on/off, running actions on change."""

import asyncio
import time

from . import Component as Base

POLL_MS = 10


class Component(Base):
    """A motion sensor, a reed switch, a pressure mat."""

    stateful = True

    def __init__(self, node, cfg):
        """Set up the pin; the state starts as the pin reads, without firing actions."""
        super().__init__(node, cfg)
        self.pin = node.hw.input(cfg["pin"], cfg.get("pull"))
        self.invert = cfg.get("invert", False)
        self.debounce_ms = int(cfg.get("debounce", 0.02) * 1000)
        self.on_ms = int(cfg.get("delayed_on", 0) * 1000)
        self.off_ms = int(cfg.get("delayed_off", 0) * 1000)
        self.on = self._read()
        self._level = self.on
        self._since = time.ticks_ms()
        self.changes = 0

    def _read(self):
        return bool(self.pin.value()) != self.invert

    def state(self):
        """Return whether the sensor is active."""
        return self.on

    def start(self):
        """Poll the pin."""
        self.forever(self._poll)

    async def _poll(self):
        while True:
            await asyncio.sleep_ms(POLL_MS)
            self.step(self._read(), time.ticks_ms())

    def step(self, level, now):
        """Feed one reading taken at ``now`` (ms); returns the debounced state."""
        if level != self._level:
            self._level = level
            self._since = now
        if level == self.on:
            return self.on
        held = time.ticks_diff(now, self._since)
        wait = self.debounce_ms + (self.on_ms if level else self.off_ms)
        if held >= wait:
            self.on = level
            self.changes += 1
            self.node.changed(self.key)
            steps = self.cfg.get("on_press" if level else "on_release")
            if steps:
                self.node.actions.start(
                    self.key + (":press" if level else ":release"), steps
                )
        return self.on
