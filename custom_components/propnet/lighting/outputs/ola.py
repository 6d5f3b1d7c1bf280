"""OLA output: the universe to olad's HTTP server, one request at a time, newest frame first."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum
import logging
import time
from typing import Final

import aiohttp

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL: Final = "http://127.0.0.1:9090"
UNIVERSE_SIZE: Final = 512
REQUEST_TIMEOUT: Final = 2.0


class OlaStatus(StrEnum):
    """What the output is doing, for the status entity and the repair issue."""

    STOPPED = "stopped"
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"


class OlaOutput:
    """Keeps an OLA universe showing the newest frame.

    ``update`` only stores the newest channels. The ``run`` task sends at
    most ``fps`` requests a second and one at a time, always the newest
    frame, the whole 512 channels (OLA takes the frame length from what is
    sent), and re-sends it every ``refresh`` seconds because OLA does not.
    A failing server is logged once and retried with backoff: the show goes
    on without it (fail-open).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str = DEFAULT_URL,
        *,
        universe: int = 1,
        fps: float = 44.0,
        refresh: float = 1.0,
        on_status: Callable[[OlaStatus], None] | None = None,
    ) -> None:
        """Describe the output; run() sends."""
        self.url = url.rstrip("/")
        self.universe = universe
        self.interval = 1.0 / fps
        self.refresh = refresh
        self.status = OlaStatus.STOPPED
        self.requests = 0
        self.failures = 0
        self._session = session
        self._on_status = on_status
        self._wanted = bytes(UNIVERSE_SIZE)
        self._wake = asyncio.Event()

    def _set_status(self, status: OlaStatus) -> None:
        if status != self.status:
            if status is OlaStatus.UNREACHABLE:
                _LOGGER.warning("OLA at %s is unreachable; retrying", self.url)
            elif self.status is OlaStatus.UNREACHABLE:
                _LOGGER.info("OLA at %s is back", self.url)
            self.status = status
            if self._on_status is not None:
                self._on_status(status)

    def update(self, channels: bytes) -> None:
        """Make ``channels`` the universe to show; the newest always wins."""
        self._wanted = bytes(channels[:UNIVERSE_SIZE]).ljust(UNIVERSE_SIZE, b"\x00")
        self._wake.set()

    async def _send(self, channels: bytes) -> bool:
        self.requests += 1
        try:
            async with self._session.post(
                f"{self.url}/set_dmx",
                data={"u": str(self.universe), "d": ",".join(map(str, channels))},
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            ) as response:
                text = await response.text()
                if response.status != 200 or text.strip() != "ok":
                    raise aiohttp.ClientResponseError(
                        response.request_info,
                        (),
                        status=response.status,
                        message=text[:80],
                    )
        except (aiohttp.ClientError, TimeoutError) as err:
            self.failures += 1
            _LOGGER.debug("OLA request failed: %s", err)
            return False
        return True

    async def run(self) -> None:
        """Send frames until cancelled."""
        sent: bytes | None = None
        sent_at = 0.0
        backoff = 0.5
        while True:
            wanted = self._wanted
            now = time.monotonic()
            if wanted != sent or now - sent_at >= self.refresh:
                if await self._send(wanted):
                    self._set_status(OlaStatus.CONNECTED)
                    sent, sent_at, backoff = wanted, time.monotonic(), 0.5
                    await asyncio.sleep(self.interval)
                else:
                    self._set_status(OlaStatus.UNREACHABLE)
                    sent = None  # resend the newest frame once it is back
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                continue
            self._wake.clear()
            try:
                async with asyncio.timeout(self.refresh - (now - sent_at)):
                    await self._wake.wait()
            except TimeoutError:
                pass
