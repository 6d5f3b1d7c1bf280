"""Show lighting's diagnostic sensors: the engine's counters and each output's status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.helpers.typing import StateType

from .coordinator import Change, LightingCoordinator
from .entity import LightingEntity


@dataclass(frozen=True, kw_only=True)
class LightingSensorDescription(SensorEntityDescription):
    """A lighting sensor: where its value comes from, and whether this set-up has it."""

    value_fn: Callable[[LightingCoordinator], StateType]
    exists_fn: Callable[[LightingCoordinator], bool] = lambda _: True
    follows: Change = Change.COUNTERS


def _output(
    name: str, states: list[str], key: str | None = None
) -> LightingSensorDescription:
    """Describe the status sensor of output (or input) ``name``."""
    return LightingSensorDescription(
        key=key or f"{name}_status",
        translation_key=f"{name}_status",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.ENUM,
        options=states,
        value_fn=lambda lighting: lighting.output_status[name],
        follows=Change.STATUS,
        exists_fn=lambda lighting: name in lighting.output_status,
    )


def _counter(
    key: str, value_fn: Callable[[LightingCoordinator], StateType]
) -> LightingSensorDescription:
    """Describe one of the engine's ever-rising counters of commands."""
    return LightingSensorDescription(
        key=key,
        translation_key=key,
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=value_fn,
    )


SENSORS: tuple[LightingSensorDescription, ...] = (
    _counter("processed", lambda lighting: lighting.engine.stats.processed),
    _counter("deduplicated", lambda lighting: lighting.engine.stats.deduplicated),
    _counter("rejected", lambda lighting: lighting.engine.stats.rejected),
    # Noisy under load, so they start disabled.
    LightingSensorDescription(
        key="queue_depth",
        translation_key="queue_depth",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda lighting: lighting.engine.queue_depth,
    ),
    LightingSensorDescription(
        key="last_latency",
        translation_key="last_latency",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
        value_fn=lambda lighting: lighting.engine.stats.last_latency_ms,
    ),
    _output(
        "enttec", ["stopped", "connecting", "connected", "not_a_pro", "disconnected"]
    ),
    _output("ola", ["stopped", "connected", "unreachable"]),
    _output("dmx_input", ["connected", "disconnected"]),
    _output("network", ["stopped", "sending", "failed"]),
    _output("sacn_input", ["waiting", "receiving"]),
)


def lighting_sensors(lighting: LightingCoordinator) -> list[LightingSensor]:
    """Return the sensors of this lighting set-up (an output's only if it is configured)."""
    return [
        LightingSensor(lighting, description)
        for description in SENSORS
        if description.exists_fn(lighting)
    ]


class LightingSensor(LightingEntity, SensorEntity):
    """A counter of the engine, or whether an output is working."""

    entity_description: LightingSensorDescription

    def __init__(
        self, coordinator: LightingCoordinator, description: LightingSensorDescription
    ) -> None:
        """Describe the sensor ``description`` of the lighting."""
        super().__init__(coordinator, description.key)
        self.entity_description = description
        self.follows = description.follows

    @property
    def native_value(self) -> StateType:
        """Return the value now."""
        return self.entity_description.value_fn(self.coordinator)
