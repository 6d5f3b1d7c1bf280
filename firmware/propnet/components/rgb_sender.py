"""Knobs to RGB channel commands: one ULID per command, rate-limited, changes only."""

import asyncio
import time

from .. import ulid
from . import Component as Base


class Component(Base):
    """Three knobs (or faders) for red, green and blue."""

    def __init__(self, node, cfg):
        """Set up the analog inputs."""
        super().__init__(node, cfg)
        self.knobs = [node.hw.adc(p) for p in cfg["pins"]]
        self.topic = cfg["base"] + "/cmd"
        self.src = cfg.get("src") or node.id
        self.min_gap_ms = int(1000 / cfg.get("max_rate", 20))
        self.deadband = cfg.get("deadband", 2)
        self.poll_ms = int(cfg.get("interval", 0.02) * 1000)
        self.last = None
        self.sent_at = None
        self.sent = 0

    stateful = True

    def state(self):
        """Return how many commands were sent since boot."""
        return self.sent

    def start(self):
        """Watch the knobs."""
        self.forever(self._loop)

    async def _loop(self):
        while True:
            self.step([k.read_u16() >> 8 for k in self.knobs], time.ticks_ms())
            await asyncio.sleep_ms(self.poll_ms)

    def step(self, rgb, now):
        """Send ``rgb`` if it moved past the deadband and the rate allows; return whether sent."""
        if self.last is not None:
            if max(abs(a - b) for a, b in zip(rgb, self.last)) < self.deadband:
                return False
            if (
                self.sent_at is not None
                and time.ticks_diff(now, self.sent_at) < self.min_gap_ms
            ):
                return False
        self.last = rgb
        self.sent_at = now
        self.sent += 1
        # Only the newest colour matters after an outage: keep one per topic.
        self.node.publish(
            self.topic,
            {
                "cmdId": ulid.new(),
                "src": self.src,
                "r": rgb[0],
                "g": rgb[1],
                "b": rgb[2],
            },
            qos=1,
            latest=True,
        )
        self.node.changed(self.key)
        return True
