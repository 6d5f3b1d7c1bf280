"""Values that survive a restart, kept in one JSON file and written sparingly."""

import asyncio
import json
import os


class Store:
    """A dict on flash; writes wait a moment so a dragged slider costs one write."""

    def __init__(self, path="propnet_state.json", delay_ms=1000):
        """Load ``path`` if it holds a valid dict; start empty otherwise."""
        self.path = path
        self.delay_ms = delay_ms
        self.writes = 0
        self._dirty = False
        try:
            with open(path) as f:
                data = json.load(f)
            self.data = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.data = {}

    def get(self, key, default=None):
        """Return the stored value of ``key``."""
        return self.data.get(key, default)

    def put(self, key, value):
        """Remember ``value``; it reaches flash within ``delay_ms``."""
        if self.data.get(key) == value:
            return
        self.data[key] = value
        if not self._dirty:
            self._dirty = True
            asyncio.create_task(self._later())

    async def _later(self):
        await asyncio.sleep_ms(self.delay_ms)
        self.flush()

    def flush(self):
        """Write now; a power cut leaves either the old file or the new one."""
        if not self._dirty:
            return
        self._dirty = False
        tmp = self.path + ".new"
        with open(tmp, "w") as f:
            json.dump(self.data, f)
        os.rename(tmp, self.path)
        self.writes += 1
