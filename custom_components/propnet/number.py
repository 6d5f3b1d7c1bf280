"""Number entities of props: delays, speeds, thresholds."""

from __future__ import annotations

from homeassistant.components.number import NumberEntity, NumberMode
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PropEntity, async_register_platform
from .lighting.coordinator import LightingCoordinator
from .lighting.entity import without_stale
from .lighting.number import lighting_numbers
from .protocol.announce import EntitySpec
from .runtime import PropNetConfigEntry
from .show_entities import show_numbers
from .show_entity import async_add_show_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropNetConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a number for each one a prop announces, or show lighting's channels."""
    match entry.runtime_data:
        case LightingCoordinator() as lighting:
            async_add_entities(
                without_stale(
                    hass, entry.entry_id, "number", lighting_numbers(lighting)
                )
            )
        case hub:
            async_register_platform(hub, "number", PropNumber, async_add_entities)
            async_add_show_entities(
                hass, entry, "number", async_add_entities, show_numbers
            )


class PropNumber(PropEntity, NumberEntity):
    """A prop's number setting."""

    def _apply_spec(self, spec: EntitySpec) -> None:
        super()._apply_spec(spec)
        self._attr_native_min_value = spec.min if spec.min is not None else 0.0
        self._attr_native_max_value = spec.max if spec.max is not None else 100.0
        self._attr_native_step = spec.step if spec.step is not None else 1.0
        self._attr_native_unit_of_measurement = spec.unit
        self._attr_mode = NumberMode(spec.mode) if spec.mode else NumberMode.AUTO

    @property
    def native_value(self) -> float | None:
        """Return the value the prop reported."""
        value = self.reported
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    async def async_set_native_value(self, value: float) -> None:
        """Ask the prop to take a new value."""
        await self._set(int(value) if value.is_integer() else value)
