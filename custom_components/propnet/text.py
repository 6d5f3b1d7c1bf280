"""Text entities of props: messages to show, codes to set."""

from __future__ import annotations

from homeassistant.components.text import TextEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PropEntity, async_register_platform
from .protocol.announce import EntitySpec
from .runtime import PropsConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a text entity for each one a prop announces."""
    async_register_platform(entry.runtime_data, "text", PropText, async_add_entities)


class PropText(PropEntity, TextEntity):
    """A prop's text value."""

    def _apply_spec(self, spec: EntitySpec) -> None:
        super()._apply_spec(spec)
        self._attr_native_min = spec.min_len if spec.min_len is not None else 0
        self._attr_native_max = spec.max_len if spec.max_len is not None else 255
        self._attr_pattern = spec.pattern

    @property
    def native_value(self) -> str | None:
        """Return the text the prop reported."""
        value = self.reported
        return value if isinstance(value, str) else None

    async def async_set_value(self, value: str) -> None:
        """Ask the prop to take a new text."""
        await self._set(value)
