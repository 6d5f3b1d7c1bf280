"""Probes of a running Home Assistant for the benchmarks: its loop lag (websocket pings) and its resident memory."""

from __future__ import annotations

import asyncio
from pathlib import Path
import threading
import time

from tests.harness.hass import Hass
from tests.harness.ws import HassWebSocket

PING_EVERY = 0.02


class LagProbe:
    """Websocket pings to Home Assistant every 20 ms from a thread of its own; their round trips."""

    def __init__(self, hass: Hass) -> None:
        """Open the connection in a thread and start pinging."""
        self.hass = hass
        self.samples: list[tuple[float, float]] = []  # (when, round trip s)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._run()), daemon=True
        )
        self._thread.start()

    async def _run(self) -> None:
        async with HassWebSocket(self.hass.url, self.hass.token) as ws:
            while not self._stop.is_set():
                sent = time.monotonic()
                message_id = await ws.send("ping")
                while (await ws.receive()).get("id") != message_id:
                    pass
                now = time.monotonic()
                self.samples.append((now, now - sent))
                await asyncio.sleep(max(0.0, PING_EVERY - (time.monotonic() - sent)))

    def between(self, start: float, end: float) -> list[float]:
        """Return the round trips (ms) of pings answered between ``start`` and ``end``."""
        return [rtt * 1000 for at, rtt in list(self.samples) if start <= at <= end]

    def close(self) -> None:
        """Stop pinging."""
        self._stop.set()
        self._thread.join(5)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """Return p50, p99 and max."""
    ordered = sorted(values) or [0.0]
    return (
        ordered[len(ordered) // 2],
        ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        ordered[-1],
    )


def rss_kb(hass: Hass) -> int:
    """Return Home Assistant's resident memory, from /proc."""
    for line in Path(f"/proc/{hass.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
