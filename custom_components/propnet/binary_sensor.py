"""Binary sensor entities of props: motion, doors, triggers."""

from __future__ import annotations

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PropEntity, async_register_platform
from .runtime import PropsConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a binary sensor for each one a prop announces."""
    async_register_platform(
        entry.runtime_data, "binary_sensor", PropBinarySensor, async_add_entities
    )


class PropBinarySensor(PropEntity, BinarySensorEntity):
    """A prop's binary sensor."""

    @property
    def is_on(self) -> bool | None:
        """Return the state the prop reported."""
        value = self.reported
        return value if isinstance(value, bool) else None
