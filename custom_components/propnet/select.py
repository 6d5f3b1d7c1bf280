"""Select entities of props: modes and scenes to choose from."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity
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
    """Add a select for each one a prop announces."""
    async_register_platform(
        entry.runtime_data, "select", PropSelect, async_add_entities
    )


class PropSelect(PropEntity, SelectEntity):
    """A prop's select."""

    def _apply_spec(self, spec: EntitySpec) -> None:
        super()._apply_spec(spec)
        self._attr_options = list(spec.options or ())

    @property
    def current_option(self) -> str | None:
        """Return the option the prop reported."""
        value = self.reported
        return value if isinstance(value, str) and value in self.options else None

    async def async_select_option(self, option: str) -> None:
        """Ask the prop to switch to ``option``."""
        await self._set(option)
