"""Diagnostics: uptime, Wi-Fi signal, free memory, reset reason, as sensors."""

import asyncio
import time

from . import Component as Base


class Component(Base):
    """One component, several diagnostic sensors; the tool declares their entities."""

    stateful = True

    def __init__(self, node, cfg):
        """Remember when the prop started."""
        super().__init__(node, cfg)
        self.keys = cfg["keys"]
        self.interval_ms = int(cfg.get("interval", 60) * 1000)
        self.started = time.ticks_ms()
        self.reason = node.hw.reset_reason()

    def report(self, out):
        """Retain the reset reason; the other readings are telemetry."""
        key = self.keys.get("reset_reason")
        if key:
            out[key] = self.reason

    def readings(self):
        """Return the current uptime, signal and memory readings."""
        out = {}
        keys = self.keys
        if "uptime" in keys:
            out[keys["uptime"]] = time.ticks_diff(time.ticks_ms(), self.started) // 1000
        if "rssi" in keys:
            out[keys["rssi"]] = self.node.net.rssi()
        if "free_memory" in keys:
            out[keys["free_memory"]] = self.node.hw.mem_free()
        return out

    def start(self):
        """Report on the interval."""
        self.forever(self._loop)

    async def _loop(self):
        # Readings sent before Home Assistant has made the entities from the
        # announce are lost (telemetry is not retained): the first waits.
        await asyncio.sleep_ms(min(10000, self.interval_ms))
        while True:
            for k, v in self.readings().items():
                self.node.telemetry(k, v)
            await asyncio.sleep_ms(self.interval_ms)
