"""A show device's entities beside its media player: runs, last run, its events, and a haunt room's Armed, Cooldown and Cycle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.components.number import NumberMode, RestoreNumber
from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory, UnitOfTime
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.restore_state import RestoreEntity
from homeassistant.util import dt as dt_util

from .show.cycle import Phase
from .show_entity import ShowEntity
from .shows import ShowLibrary

EVENT_TYPES = ["started", "ended", "cue_skipped", "refused"]


class ShowRunsSensor(ShowEntity, RestoreSensor):
    """How many times the show has started, kept over restarts."""

    _attr_state_class = SensorStateClass.TOTAL_INCREASING

    def __init__(self, entry_id: str, library: ShowLibrary, name: str) -> None:
        """Count the show's runs."""
        super().__init__(entry_id, library, name, "runs")

    async def async_added_to_hass(self) -> None:
        """Go on from the count before the restart."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_sensor_data()) is not None and isinstance(
            last.native_value, int | float
        ):
            self.runner.runs = max(self.runner.runs, int(last.native_value))

    @property
    def native_value(self) -> int:
        """Return the runs so far."""
        return self.runner.runs


class ShowLastRunSensor(ShowEntity, RestoreSensor):
    """When the show last started."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP

    def __init__(self, entry_id: str, library: ShowLibrary, name: str) -> None:
        """Keep the time of the last start."""
        super().__init__(entry_id, library, name, "last_run")
        self._attr_native_value: datetime | None = None

    async def async_added_to_hass(self) -> None:
        """Keep the time from before the restart; hear the next start."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_sensor_data()) is not None and isinstance(
            last.native_value, datetime
        ):
            self._attr_native_value = last.native_value
        self.async_on_remove(self.runner.listen_events(self._event))

    @callback
    def _event(self, kind: str, _data: dict[str, Any]) -> None:
        if kind == "started":
            self._attr_native_value = dt_util.utcnow()


class ShowCycleSensor(ShowEntity, SensorEntity):
    """Where the haunt room is: disarmed, waiting, running or cooling down."""

    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(self, entry_id: str, library: ShowLibrary, name: str) -> None:
        """Follow the room's cycle."""
        super().__init__(entry_id, library, name, "cycle")
        self._attr_options = [phase.value for phase in Phase]
        self._cooldown_over: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Follow the cycle, and look again when a cooldown runs out."""
        await super().async_added_to_hass()
        self.async_on_remove(self._cancel_timer)

    @property
    def native_value(self) -> str:
        """Return the room's phase."""
        assert self.cycle is not None
        return self.cycle.phase.value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the triggers heard and refused, and the last refusal's reason."""
        assert self.cycle is not None
        last = self.cycle.last_refusal
        return {
            "triggers": self.cycle.triggers,
            "refused": self.cycle.refused,
            "last_refusal": None if last is None else last.value,
        }

    @callback
    def _changed(self) -> None:
        self._cancel_timer()
        assert self.cycle is not None
        if (left := self.cycle.cooling_s()) > 0:
            # Nothing else happens when a cooldown runs out.
            self._cooldown_over = async_call_later(
                self.hass, left + 0.05, self._cooldown_ended
            )
        super()._changed()

    @callback
    def _cooldown_ended(self, _now: datetime) -> None:
        self._cooldown_over = None
        self._changed()

    @callback
    def _cancel_timer(self) -> None:
        if self._cooldown_over is not None:
            self._cooldown_over()
            self._cooldown_over = None


class ShowArmedSwitch(ShowEntity, SwitchEntity, RestoreEntity):
    """Whether the room's trigger starts the show (and the idle loop plays)."""

    def __init__(self, entry_id: str, library: ShowLibrary, name: str) -> None:
        """Arm or disarm the room."""
        super().__init__(entry_id, library, name, "armed")

    async def async_added_to_hass(self) -> None:
        """Arm as before the restart (the show file's ``armed`` the first time)."""
        await super().async_added_to_hass()
        assert self.cycle is not None
        last = await self.async_get_last_state()
        if last is not None and last.state in (STATE_ON, STATE_OFF):
            await self.cycle.async_set_armed(last.state == STATE_ON)

    @property
    def is_on(self) -> bool:
        """Return whether the room is armed."""
        assert self.cycle is not None
        return self.cycle.armed

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Arm the room."""
        assert self.cycle is not None
        await self.cycle.async_set_armed(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Disarm the room; a show already running plays on."""
        assert self.cycle is not None
        await self.cycle.async_set_armed(False)


class ShowCooldownNumber(ShowEntity, RestoreNumber):
    """How long after a show ends a trigger is refused."""

    _attr_entity_category = EntityCategory.CONFIG
    _attr_native_min_value = 0
    _attr_native_max_value = 3600
    _attr_native_step = 1
    _attr_mode = NumberMode.BOX
    _attr_native_unit_of_measurement = UnitOfTime.SECONDS
    _attr_device_class = None

    def __init__(self, entry_id: str, library: ShowLibrary, name: str) -> None:
        """Set the room's cooldown."""
        super().__init__(entry_id, library, name, "cooldown")

    async def async_added_to_hass(self) -> None:
        """Keep the cooldown set before the restart (the file's the first time)."""
        await super().async_added_to_hass()
        assert self.cycle is not None
        last = await self.async_get_last_number_data()
        if last is not None and last.native_value is not None:
            self.cycle.set_cooldown(round(last.native_value * 1000))

    @property
    def native_value(self) -> float:
        """Return the cooldown in seconds."""
        assert self.cycle is not None
        return self.cycle.cooldown_ms / 1000

    async def async_set_native_value(self, value: float) -> None:
        """Change the cooldown."""
        assert self.cycle is not None
        self.cycle.set_cooldown(round(value * 1000))


class ShowEvent(ShowEntity, EventEntity):
    """The show's moments: started, ended, a cue skipped, a trigger refused."""

    _attr_event_types = EVENT_TYPES

    def __init__(self, entry_id: str, library: ShowLibrary, name: str) -> None:
        """Hear the show's runner."""
        super().__init__(entry_id, library, name, "show_event")

    async def async_added_to_hass(self) -> None:
        """Fire on each of the runner's events (not on every state change)."""
        self.async_on_remove(self.runner.listen_events(self._event))

    @callback
    def _event(self, kind: str, data: dict[str, Any]) -> None:
        self._trigger_event(kind, data)
        self.async_write_ha_state()


def show_sensors(entry_id: str, library: ShowLibrary, name: str) -> list[ShowEntity]:
    """Return a show's sensors: runs, last run, and a room's cycle."""
    out: list[ShowEntity] = [
        ShowRunsSensor(entry_id, library, name),
        ShowLastRunSensor(entry_id, library, name),
    ]
    if name in library.cycles:
        out.append(ShowCycleSensor(entry_id, library, name))
    return out


def show_switches(entry_id: str, library: ShowLibrary, name: str) -> list[ShowEntity]:
    """Return a room's Armed switch (none for a show without a cycle)."""
    return [ShowArmedSwitch(entry_id, library, name)] if name in library.cycles else []


def show_numbers(entry_id: str, library: ShowLibrary, name: str) -> list[ShowEntity]:
    """Return a room's Cooldown number (none for a show without a cycle)."""
    return (
        [ShowCooldownNumber(entry_id, library, name)] if name in library.cycles else []
    )


def show_events(entry_id: str, library: ShowLibrary, name: str) -> list[ShowEntity]:
    """Return the show's event entity."""
    return [ShowEvent(entry_id, library, name)]
