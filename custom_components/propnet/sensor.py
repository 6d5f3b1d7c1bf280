"""Sensor entities of props: counters, readings and diagnostics."""

from __future__ import annotations

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from . import PropNetConfigEntry
from .entity import PropEntity, async_register_platform
from .protocol.messages import EntitySpec

PARALLEL_UPDATES = 0
STATE_CLASSES = frozenset(SensorStateClass)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropNetConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each one a prop announces."""
    async_register_platform(
        entry.runtime_data.hub, "sensor", PropSensor, async_add_entities
    )


class PropSensor(PropEntity, SensorEntity):
    """A prop's sensor, fed by status and telemetry."""

    def _apply_spec(self, spec: EntitySpec) -> None:
        super()._apply_spec(spec)
        self._attr_native_unit_of_measurement = spec.unit
        self._attr_suggested_display_precision = spec.precision
        # A state class this Home Assistant does not know would make every
        # state write fail; the sensor still works without one.
        self._attr_state_class = (
            SensorStateClass(spec.state_class)
            if spec.state_class in STATE_CLASSES
            else None
        )
        if spec.options is not None:
            self._attr_device_class = SensorDeviceClass.ENUM
            self._attr_options = list(spec.options)
        else:
            self._attr_options = None

    @property
    def native_value(self) -> StateType:
        """Return the last reading."""
        value = self.reported
        return value if isinstance(value, int | float | str) else None
