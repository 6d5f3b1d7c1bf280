"""The base class of show lighting's entities: one device, updates from the coordinator."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from ..const import DOMAIN
from .coordinator import Change, LightingCoordinator


class LightingEntity(Entity):
    """An entity of the show lighting device."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    # What this entity shows; its state is written when that changes.
    follows = Change.LOOK

    def __init__(self, coordinator: LightingCoordinator, key: str) -> None:
        """Describe entity ``key`` of the lighting on the coordinator's base topic."""
        self.coordinator = coordinator
        self._attr_unique_id = f"lighting:{coordinator.base}:{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, coordinator.device_identifier)},
            name="Show lighting",
            manufacturer="PropNet",
            model="RGB/DMX coordinator",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the coordinator."""
        self.async_on_remove(
            self.coordinator.async_add_listener(self.async_write_ha_state, self.follows)
        )
