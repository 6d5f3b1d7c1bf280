"""Sensors: analog, digital and counters, with filters; readings go to telemetry or status."""

import asyncio

from . import Component as Base


class Component(Base):
    """Reads on an interval, filters, publishes what passes."""

    def __init__(self, node, cfg):
        """Set up the source; a counter starts at zero each boot (total_increasing)."""
        super().__init__(node, cfg)
        self.source = cfg.get("source", "adc")
        self.interval_ms = int(cfg.get("interval", 1.0) * 1000)
        specs = cfg.get("filters")
        self.chain = None
        if specs:
            # Imported only when used: every module costs heap on the board.
            from ..filters import Chain

            self.chain = Chain(specs)
        self.stateful = not cfg.get("telemetry", self.source in ("adc", "digital"))
        self.value = 0 if self.source == "counter" else None
        if self.source == "adc":
            self.reader = node.hw.adc(cfg["pin"])
        elif self.source == "digital":
            self.reader = node.hw.input(cfg["pin"], cfg.get("pull"))
        else:
            self.reader = None

    def state(self):
        """Return the last published value."""
        return self.value

    def start(self):
        """Read on the interval when there is something to read."""
        if self.reader is not None:
            self.forever(self._loop)

    def read(self):
        """Take one reading from the source."""
        if self.source == "adc":
            return self.reader.read_u16()
        return self.reader.value()

    async def _loop(self):
        while True:
            self.update(self.read())
            await asyncio.sleep_ms(self.interval_ms)

    def update(self, raw):
        """Run a reading through the filters and publish it if it passes."""
        v = raw if self.chain is None else self.chain(raw)
        if v is None:
            return
        self.value = v
        if self.stateful:
            self.node.changed(self.key)
        else:
            self.node.telemetry(self.key, v)

    def increment(self, by=1):
        """Count one more (counter sensors)."""
        self.update((self.value or 0) + by)
