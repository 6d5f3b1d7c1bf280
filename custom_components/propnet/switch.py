"""Switch entities of props: relays, solenoids, anything on or off."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PropEntity, async_register_platform
from .runtime import PropsConfigEntry
from .show_entities import show_switches
from .show_entity import async_add_show_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a switch for each one a prop announces."""
    async_register_platform(
        entry.runtime_data, "switch", PropSwitch, async_add_entities
    )
    async_add_show_entities(hass, entry, "switch", async_add_entities, show_switches)


class PropSwitch(PropEntity, SwitchEntity):
    """A prop's switch."""

    @property
    def is_on(self) -> bool | None:
        """Return the state the prop reported."""
        value = self.reported
        return value if isinstance(value, bool) else None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Ask the prop to switch on."""
        await self._set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Ask the prop to switch off."""
        await self._set(False)
