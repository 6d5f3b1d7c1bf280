"""Probes for the benchmarks: Home Assistant's loop lag (websocket pings) and resident memory, and the machine's own stalls and stolen time."""

from __future__ import annotations

import asyncio
from pathlib import Path
import shutil
import subprocess
import sys
import threading
import time

from tests.harness.hass import Hass
from tests.harness.ws import HassWebSocket

PING_EVERY = 0.02

# A process that sleeps 2 ms at a time and says when a sleep ended 10 ms or
# more late, with the monotonic instant it woke: a gap the probe's own
# work cannot explain (it allocates nothing that needs collecting).
STALLS = """
import gc, sys, time
gc.disable()
sys.stdout.write("ready\\n")
sys.stdout.flush()
while True:
    before = time.monotonic()
    time.sleep(0.002)
    woke = time.monotonic()
    if woke - before >= 0.012:
        sys.stdout.write("%.6f %.3f\\n" % (woke, (woke - before - 0.002) * 1000))
        sys.stdout.flush()
"""


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


class StallProbe:
    """Gaps of 10 ms or more in a sleeping process of its own, at a priority given by ``realtime``.

    Run above the props' real-time priority, a gap is the machine itself
    not running (the host took the processor, the kernel held it); run at
    Home Assistant's normal priority, it is also every process above it
    (the real-time props, the stampers) keeping both cores. Beside a late
    cue, the two say whose it was.
    """

    def __init__(self, *, realtime: bool) -> None:
        """Start the process; ``realtime`` runs it at SCHED_FIFO 30, above the props' 20."""
        argv = [sys.executable, "-c", STALLS]
        chrt = shutil.which("chrt")
        if realtime and chrt is not None:
            argv = [chrt, "-f", "30", *argv]
        self.samples: list[tuple[float, float]] = []  # (woke, ms late)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.running = self.proc.stdout.readline().strip() == "ready"
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            woke, late = line.split()
            self.samples.append((float(woke), float(late)))

    def between(self, start: float, end: float) -> list[float]:
        """Return the gaps (ms beyond the sleep) that ended between ``start`` and ``end``."""
        return [late for at, late in list(self.samples) if start <= at <= end]

    def close(self) -> None:
        """End the process."""
        self.proc.kill()
        self.proc.wait(5)
        self._thread.join(2)


def stolen_ms() -> float:
    """Return the time the host has taken from this machine's processors since boot (all cores, /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    # cpu user nice system idle iowait irq softirq steal ...; in USER_HZ (100)
    return int(fields[8]) * 10.0 if len(fields) > 8 else 0.0
