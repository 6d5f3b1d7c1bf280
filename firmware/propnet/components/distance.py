"""An HC-SR04 ultrasonic distance sensor: a sensor in cm, with near and far sequences."""

import asyncio
import time

from .sensor import Component as Sensor

US_PER_CM = 58.3  # there and back at 343 m/s
MISSES_FAR = 3


class Component(Sensor):
    """Someone stepping up to the prop, a hand over a pedestal."""

    def __init__(self, node, cfg):
        """Trigger low; the sensor measures nothing until the loop starts."""
        super().__init__(node, cfg)
        self.trigger = node.hw.output(cfg["trigger_pin"], 0)
        self.echo = node.hw.input(cfg["echo_pin"])
        self.timeout_us = int(cfg.get("max_distance", 300) * US_PER_CM)
        self.near = cfg.get("near")
        self.hysteresis = cfg.get("hysteresis", 10)
        self.is_near = False
        self.misses = 0
        self.timeouts = 0

    def start(self):
        """Measure on the interval."""
        self.forever(self._measure)

    def measure(self):
        """Ping once; return the distance in cm, or None when no echo came back in range."""
        t = self.trigger
        t.value(1)
        time.sleep_us(10)
        t.value(0)
        # Blocks for at most the echo of max_distance (300 cm: 17.5 ms); an
        # interrupt-timed echo would be off by the scheduler's latency instead.
        width = self.node.hw.pulse_us(self.echo, 1, self.timeout_us)
        if width < 0:
            self.timeouts += 1
            return None
        return round(width / US_PER_CM, 1)

    async def _measure(self):
        while True:
            self.seen(self.measure())
            await asyncio.sleep_ms(self.interval_ms)

    def seen(self, cm):
        """Publish a distance (None: nothing in range) and run near/far sequences."""
        if cm is None:
            self.misses += 1
            if self.is_near and self.misses >= MISSES_FAR:
                self._cross(False)
            return
        self.misses = 0
        self.update(cm)
        if self.near is None:
            return
        if not self.is_near and cm <= self.near:
            self._cross(True)
        elif self.is_near and cm > self.near + self.hysteresis:
            self._cross(False)

    def _cross(self, near):
        self.is_near = near
        steps = self.cfg.get("on_near" if near else "on_far")
        if steps:
            self.node.actions.trigger(self.key + (":near" if near else ":far"), steps)
