"""Sensor entities of props: counters, readings and diagnostics."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .entity import PropEntity, async_register_platform
from .lighting.coordinator import LightingCoordinator
from .lighting.entity import without_stale
from .lighting.sensor import lighting_sensors
from .protocol.announce import EntitySpec
from .runtime import PropNetConfigEntry
from .show_entities import show_sensors
from .show_entity import async_add_show_entities

PARALLEL_UPDATES = 0
STATE_CLASSES = frozenset(SensorStateClass)
UPTIME = "uptime"
# A reading's delay on the way varies; a restart moves the start by more.
RESTART_SLACK = timedelta(seconds=10)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropNetConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a sensor for each one a prop announces, or show lighting's sensors."""
    match entry.runtime_data:
        case LightingCoordinator() as lighting:
            async_add_entities(
                without_stale(
                    hass, entry.entry_id, "sensor", lighting_sensors(lighting)
                )
            )
        case hub:
            async_register_platform(hub, "sensor", PropSensor, async_add_entities)
            async_add_show_entities(
                hass, entry, "sensor", async_add_entities, show_sensors
            )


class PropSensor(PropEntity, SensorEntity):
    """A prop's sensor, fed by status and telemetry.

    A prop's uptime is shown as when it last restarted, as Home Assistant's
    own integrations do: "5 minutes ago" reads better than "310 s", and the
    state (and the recorder) changes only when the prop restarts, not with
    every reading.
    """

    _started: datetime | None = None

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
        if self._attr_translation_key == UPTIME:
            self._attr_device_class = SensorDeviceClass.TIMESTAMP
            self._attr_native_unit_of_measurement = None
            self._attr_suggested_display_precision = None
            self._attr_state_class = None

    @property
    def native_value(self) -> StateType | datetime:
        """Return the last reading (for the uptime, when the prop started)."""
        value = self.reported
        if self._attr_translation_key == UPTIME:
            return self._restarted(value)
        return value if isinstance(value, int | float | str) else None

    def _restarted(self, uptime: object) -> datetime | None:
        if (
            not isinstance(uptime, int | float)
            or isinstance(uptime, bool)
            or uptime < 0
        ):
            return self._started
        started = (dt_util.utcnow() - timedelta(seconds=uptime)).replace(microsecond=0)
        if self._started is None or abs(started - self._started) > RESTART_SLACK:
            self._started = started
        return self._started
