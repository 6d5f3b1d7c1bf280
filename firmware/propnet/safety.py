"""Safety: count failed boots for safe mode, feed the watchdog, show state on the status LED."""

import asyncio

BOOT_FILE = "propnet_boots"


class BootGuard:
    """Counts boots that did not reach a stable state; too many means safe mode."""

    def __init__(self, limit, path=BOOT_FILE):
        """Read and bump the counter: this boot counts as failed until ``good``."""
        self.path = path
        self.limit = limit
        try:
            with open(path) as f:
                self.count = int(f.read() or 0)
        except (OSError, ValueError):
            self.count = 0
        self.safe_mode = limit > 0 and self.count >= limit
        self._write(self.count + 1)

    def _write(self, n):
        with open(self.path, "w") as f:
            f.write(str(n))

    def good(self):
        """Mark this boot good: the prop ran long enough, the next boot starts normally."""
        self.count = 0
        self._write(0)


async def feed(wdt, every_ms):
    """Feed ``wdt`` while the event loop runs; a stuck loop lets it reset the board."""
    while True:
        wdt.feed()
        await asyncio.sleep_ms(every_ms)


# On/off durations in ms for each state of the prop.
PATTERNS = {
    "no_wifi": (100, 100),
    "no_broker": (500, 500),
    "online": (1000, 0),
    "safe_mode": (100, 900),
    "identify": (50, 50),
}


class StatusLed:
    """Blinks a pattern that says what the prop is doing."""

    def __init__(self, pin, invert=False):
        """Drive ``pin`` (an output from the hardware layer)."""
        self.pin = pin
        self.invert = invert
        self.mode = "no_wifi"
        self.identify_ms = 0

    def _set(self, on):
        self.pin.value(1 if on != self.invert else 0)

    async def run(self):
        """Blink forever."""
        while True:
            mode = "identify" if self.identify_ms > 0 else self.mode
            on_ms, off_ms = PATTERNS[mode]
            self._set(True)
            await asyncio.sleep_ms(on_ms)
            if off_ms:
                self._set(False)
                await asyncio.sleep_ms(off_ms)
            if self.identify_ms > 0:
                self.identify_ms -= on_ms + off_ms
