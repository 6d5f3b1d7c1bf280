"""The hub's time service in Home Assistant: opened when the first prop with shows announces, shared by every props hub.

Props learn where it is from a retained message each hub publishes on its
prefix (``<prefix>/_hub/clock``). The address is the one Home Assistant's
network settings name for this machine; a prop behind another route can
be given the hub's address in its own config (``show.hub``).
"""

from __future__ import annotations

import asyncio
from typing import Final

from homeassistant.components import network
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, LOGGER
from ..protocol.timesync import TimeService, serve

# A fixed port is one a firewall rule can name; if it is taken the service
# takes any free one, which the retained message then says.
DEFAULT_PORT: Final = 41950
DATA_CLOCK: HassKey[HubClock] = HassKey(f"{DOMAIN}_clock")


class HubClock:
    """The one time service of this Home Assistant, and where props reach it."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing is open until ``async_open``."""
        self.hass = hass
        self.service: TimeService | None = None
        self.host: str | None = None
        self.port: int | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._lock = asyncio.Lock()
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, self._on_stop)

    async def async_open(self) -> tuple[str | None, int] | None:
        """Open the service if it is not open; return (host, port), or None if it cannot open."""
        async with self._lock:
            if self._transport is None:
                try:
                    self._transport, self.service = await self._serve()
                except OSError as err:
                    LOGGER.warning("The show clock cannot open a UDP port: %s", err)
                    return None
                self.port = self._transport.get_extra_info("sockname")[1]
                try:
                    self.host = await network.async_get_source_ip(self.hass)
                except HomeAssistantError:
                    # No address to name: props try the broker's.
                    self.host = None
                LOGGER.info(
                    "The show clock answers on %s:%s (UDP)", self.host, self.port
                )
            assert self.port is not None
            return self.host, self.port

    async def _serve(self) -> tuple[asyncio.DatagramTransport, TimeService]:
        try:
            return await serve("0.0.0.0", DEFAULT_PORT)  # noqa: S104 - props are on the LAN
        except OSError:
            LOGGER.info(
                "UDP port %s is taken; the show clock takes another", DEFAULT_PORT
            )
            return await serve("0.0.0.0", 0)  # noqa: S104

    @callback
    def _on_stop(self, _event: Event) -> None:
        self.close()

    @callback
    def close(self) -> None:
        """Stop answering."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            self.service = None


@callback
def hub_clock(hass: HomeAssistant) -> HubClock:
    """Return the time service every props hub of this Home Assistant shares."""
    if (clock := hass.data.get(DATA_CLOCK)) is None:
        clock = hass.data[DATA_CLOCK] = HubClock(hass)
    return clock
