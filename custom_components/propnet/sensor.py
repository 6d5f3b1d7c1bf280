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

from .entity import PropEntity, async_register_platform
from .lighting.coordinator import LightingCoordinator
from .lighting.sensor import lighting_sensors
from .protocol.announce import EntitySpec
from .runtime import PropNetConfigEntry

PARALLEL_UPDATES = 0
STATE_CLASSES = frozenset(SensorStateClass)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropNetConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each one a prop announces, or show lighting's sensors."""
    match entry.runtime_data:
        case LightingCoordinator() as lighting:
            async_add_entities(lighting_sensors(lighting))
        case hub:
            async_register_platform(hub, "sensor", PropSensor, async_add_entities)


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
