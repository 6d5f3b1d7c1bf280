"""Event entities of props: scares, aborts, anything that happens at a moment."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PropEntity, async_register_platform
from .protocol.announce import EntitySpec
from .protocol.messages import Event
from .runtime import PropsConfigEntry
from .show_entities import show_events
from .show_entity import async_add_show_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an event entity for each one a prop announces."""
    async_register_platform(entry.runtime_data, "event", PropEvent, async_add_entities)
    async_add_show_entities(hass, entry, "event", async_add_entities, show_events)


class PropEvent(PropEntity, EventEntity):
    """A prop's event entity."""

    @property
    def available(self) -> bool:
        """Stay available while the prop is away: its last event does not change.

        Home Assistant's logbook writes "detected an event" for every state
        change of an event entity, the one from unavailable back to the last
        event's time included: a prop that dropped and came back would show
        a scare nobody made.
        """
        return self.hub.spec(self.prop_id, self.spec.key) is not None

    def _apply_spec(self, spec: EntitySpec) -> None:
        super()._apply_spec(spec)
        self._attr_event_types = list(spec.event_types)

    async def async_added_to_hass(self) -> None:
        """Follow the prop's events as well as its availability."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hub.async_add_event_listener(self.prop_id, self.spec.key, self._fired)
        )

    @callback
    def _fired(self, event: Event) -> None:
        self._trigger_event(event.type, dict(event.data))
        self.async_write_ha_state()
