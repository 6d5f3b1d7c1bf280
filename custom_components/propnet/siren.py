"""Siren entities of props: screams, bells and sound triggers."""

from __future__ import annotations

from typing import Any

from homeassistant.components.siren import SirenEntity
from homeassistant.components.siren.const import (
    ATTR_DURATION,
    ATTR_TONE,
    ATTR_VOLUME_LEVEL,
    SirenEntityFeature,
)
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
    """Add a siren for each one a prop announces."""
    async_register_platform(entry.runtime_data, "siren", PropSiren, async_add_entities)


class PropSiren(PropEntity, SirenEntity):
    """A prop's siren or sound trigger."""

    def _apply_spec(self, spec: EntitySpec) -> None:
        super()._apply_spec(spec)
        features = SirenEntityFeature.TURN_ON | SirenEntityFeature.TURN_OFF
        if spec.tones:
            features |= SirenEntityFeature.TONES
        if spec.volume:
            features |= SirenEntityFeature.VOLUME_SET
        if spec.duration:
            features |= SirenEntityFeature.DURATION
        self._attr_supported_features = features
        self._attr_available_tones = list(spec.tones) or None

    @property
    def is_on(self) -> bool | None:
        """Return whether the prop reports the siren sounding."""
        value = self.reported
        return value if isinstance(value, bool) else None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Ask the prop to sound, with the tone, volume and duration given."""
        value: dict[str, Any] = {"on": True}
        if ATTR_TONE in kwargs:
            value["tone"] = kwargs[ATTR_TONE]
        if ATTR_VOLUME_LEVEL in kwargs:
            value["volume"] = kwargs[ATTR_VOLUME_LEVEL]
        if ATTR_DURATION in kwargs:
            value["duration"] = kwargs[ATTR_DURATION]
        await self._set(value)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Ask the prop to stop sounding."""
        await self._set({"on": False})
