"""Test-only integration: measures Home Assistant's event-loop lag with a timer-drift probe."""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import Any

from aiohttp import web
from homeassistant.components.http import HomeAssistantView
from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType

DOMAIN = "loop_probe"
INTERVAL = 0.05


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start the probe and serve its figures at /api/loop_probe."""
    lags: deque[float] = deque(maxlen=200_000)

    async def probe() -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(INTERVAL)
            lags.append((loop.time() - start - INTERVAL) * 1000)

    hass.async_create_background_task(probe(), "loop probe")

    class ProbeView(HomeAssistantView):
        url = "/api/loop_probe"
        name = "api:loop_probe"

        async def get(self, request: web.Request) -> web.Response:
            values = sorted(lags)
            if request.query.get("reset"):
                lags.clear()

            def pick(fraction: float) -> float:
                if not values:
                    return 0.0
                return values[min(len(values) - 1, round(fraction * (len(values) - 1)))]

            body: dict[str, Any] = {
                "count": len(values),
                "p50_ms": pick(0.5),
                "p99_ms": pick(0.99),
                "max_ms": values[-1] if values else 0.0,
                "rss_mib": await hass.async_add_executor_job(_rss_mib),
            }
            return self.json(body)

    hass.http.register_view(ProbeView())
    return True
