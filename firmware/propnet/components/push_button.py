"""A physical push button: publishes press and long_press events and can run sequences."""

import asyncio
import time

from . import Component as Base

POLL_MS = 10


class Component(Base):
    """A button on the prop itself; the entity is an event entity."""

    def __init__(self, node, cfg):
        """Set up the pin (pulled up, pressed pulls it low, unless configured)."""
        super().__init__(node, cfg)
        self.pin = node.hw.input(cfg["pin"], cfg.get("pull", "up"))
        self.invert = cfg.get("invert", True)
        self.debounce_ms = int(cfg.get("debounce", 0.03) * 1000)
        self.long_ms = int(cfg.get("long_press", 1.0) * 1000)
        self.down_at = None
        self.presses = 0

    def start(self):
        """Poll the pin."""
        self.forever(self._poll)

    async def _poll(self):
        while True:
            await asyncio.sleep_ms(POLL_MS)
            self.step(bool(self.pin.value()) != self.invert, time.ticks_ms())

    def step(self, down, now):
        """Feed one reading taken at ``now`` (ms)."""
        if down and self.down_at is None:
            self.down_at = now
        elif not down and self.down_at is not None:
            held = time.ticks_diff(now, self.down_at)
            self.down_at = None
            if held < self.debounce_ms:
                return
            kind = "long_press" if held >= self.long_ms else "press"
            self.presses += 1
            self.node.event(self.key, kind, {"held_ms": held})
            steps = self.cfg.get("on_" + kind)
            if steps:
                self.node.actions.start(self.key + ":" + kind, steps)
