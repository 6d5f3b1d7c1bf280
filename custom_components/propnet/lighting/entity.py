"""The base class of show lighting's entities: one device, updates from the coordinator."""

from __future__ import annotations

from collections.abc import Sequence

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
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


def without_stale[EntityT: Entity](
    hass: HomeAssistant, entry_id: str, domain: str, entities: Sequence[EntityT]
) -> Sequence[EntityT]:
    """Return ``entities``, removing the entry's ``domain`` entities they no longer hold.

    A fixture or an output taken out of the options takes its entities with
    it, rather than leaving them unavailable for good.
    """
    keep = {entity.unique_id for entity in entities}
    registry = er.async_get(hass)
    for entry in er.async_entries_for_config_entry(registry, entry_id):
        if entry.domain == domain and entry.unique_id not in keep:
            registry.async_remove(entry.entity_id)
    return entities
