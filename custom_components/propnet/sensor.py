"""Sensor entities of props: counters, readings and diagnostics."""

from __future__ import annotations

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from . import PropNetConfigEntry
from .entity import PropEntity, async_register_platform
from .lighting.coordinator import LightingCoordinator
from .lighting.entity import LightingEntity
from .protocol.messages import EntitySpec

PARALLEL_UPDATES = 0
STATE_CLASSES = frozenset(SensorStateClass)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropNetConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each one a prop announces, or show lighting's sensors."""
    if (lighting := entry.runtime_data.lighting) is not None:
        async_add_entities(
            [LightingCounter(lighting, key) for key in COUNTERS]
            + [
                OutputStatus(lighting, output)
                for output in sorted(lighting.output_status)
            ]
        )
        return
    async_register_platform(
        entry.runtime_data.props, "sensor", PropSensor, async_add_entities
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


# Counters of the engine, and whether each is noisy enough to start disabled.
COUNTERS = {
    "processed": False,
    "deduplicated": False,
    "rejected": False,
    "queue_depth": True,
    "last_latency": True,
}


class LightingCounter(LightingEntity, SensorEntity):
    """One of the engine's counters."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: LightingCoordinator, key: str) -> None:
        """Describe counter ``key``."""
        super().__init__(coordinator, key)
        self.key = key
        self._attr_translation_key = key
        self._attr_entity_registry_enabled_default = not COUNTERS[key]
        if key == "last_latency":
            self._attr_native_unit_of_measurement = UnitOfTime.MILLISECONDS
            self._attr_device_class = SensorDeviceClass.DURATION
            self._attr_state_class = SensorStateClass.MEASUREMENT
            self._attr_suggested_display_precision = 2
        elif key == "queue_depth":
            self._attr_state_class = SensorStateClass.MEASUREMENT
        else:
            self._attr_state_class = SensorStateClass.TOTAL_INCREASING

    @property
    def native_value(self) -> float:
        """Return the counter's value."""
        engine = self.coordinator.engine
        if self.key == "queue_depth":
            return engine.queue_depth
        if self.key == "last_latency":
            return engine.stats.last_latency_ms
        value: int = getattr(engine.stats, self.key)
        return value


class OutputStatus(LightingEntity, SensorEntity):
    """Whether an output or the DMX input is working."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(self, coordinator: LightingCoordinator, output: str) -> None:
        """Describe the status of ``output``."""
        super().__init__(coordinator, f"{output}_status")
        self.output = output
        self._attr_translation_key = f"{output}_status"
        self._attr_options = OUTPUT_STATES[output]

    @property
    def native_value(self) -> str:
        """Return the output's status."""
        return self.coordinator.output_status[self.output]


OUTPUT_STATES = {
    "enttec": ["stopped", "connecting", "connected", "not_a_pro", "disconnected"],
    "ola": ["stopped", "connected", "unreachable"],
    "dmx_input": ["connected", "disconnected"],
}
