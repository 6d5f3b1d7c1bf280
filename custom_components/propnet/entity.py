"""The base class every PropNet entity shares: device, availability, state, commands."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import TRANSLATED_ENTITIES
from .hub.hub import PropHub
from .protocol.announce import EntitySpec
from .protocol.commands import ACTION_SET

CATEGORIES = {"config": EntityCategory.CONFIG, "diagnostic": EntityCategory.DIAGNOSTIC}


class PropEntity(Entity):
    """One entity of one prop, following the hub for its spec and state.

    State only ever comes from the prop's status: a command is sent and
    acknowledged, and the entity changes when the prop reports it did.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: PropHub, prop_id: str, spec: EntitySpec) -> None:
        """Describe the entity ``spec`` of prop ``prop_id``."""
        self.hub = hub
        self.prop_id = prop_id
        self.spec = spec
        self._attr_unique_id = hub.unique_id(prop_id, spec.key)
        self._attr_device_info = DeviceInfo(
            identifiers={hub.device_identifier(prop_id)}
        )
        self._attr_entity_registry_enabled_default = spec.enabled
        self._apply_spec(spec)

    def _apply_spec(self, spec: EntitySpec) -> None:
        """Set the attributes that come from the announce."""
        if spec.translation_key in TRANSLATED_ENTITIES.get(spec.type, ()):
            # Home Assistant's translation names it in the user's language,
            # and icons.json gives its icons, one per state where they differ.
            self._attr_translation_key = spec.translation_key
            self.__dict__.pop("_attr_name", None)
            self._attr_icon = None
        else:
            self._attr_translation_key = None
            self._attr_name = spec.name
            self._attr_icon = spec.icon
        self._attr_entity_category = (
            CATEGORIES[spec.category] if spec.category else None
        )
        self._attr_device_class = spec.device_class

    @property
    def reported(self) -> Any:
        """Return the prop's last reported value for this entity."""
        return self.hub.value(self.prop_id, self.spec.key)

    @property
    def available(self) -> bool:
        """Return whether the prop is reachable and still has this entity."""
        return self.hub.available(self.prop_id) and (
            self.hub.spec(self.prop_id, self.spec.key) is not None
        )

    async def async_added_to_hass(self) -> None:
        """Follow the hub for this entity's changes."""
        self.async_on_remove(
            self.hub.async_add_listener(self.prop_id, self.spec.key, self._on_change)
        )

    @callback
    def _on_change(self) -> None:
        spec = self.hub.spec(self.prop_id, self.spec.key)
        # Most changes are values: the spec is the very same object.
        if spec is not None and spec is not self.spec and spec != self.spec:
            self.spec = spec
            self._apply_spec(spec)
            if self.registry_entry is not None:
                name = self.name
                er.async_get(self.hass).async_update_entity(
                    self.entity_id,
                    original_name=name if isinstance(name, str) else None,
                    translation_key=self._attr_translation_key,
                    original_icon=self._attr_icon,
                    original_device_class=spec.device_class,
                    entity_category=self._attr_entity_category,
                )
        self.async_write_ha_state()

    async def _command(
        self,
        action: str,
        value: Any = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        await self.hub.async_command(self.prop_id, action, self.spec.key, value, params)

    async def _set(self, value: Any) -> None:
        """Ask the prop to set this entity's value; state follows its status."""
        await self._command(ACTION_SET, value)


def async_register_platform[EntityT: PropEntity](
    hub: PropHub,
    platform: str,
    entity_class: type[EntityT],
    async_add_entities: Callable[[Iterable[EntityT]], None],
) -> None:
    """Add an ``entity_class`` entity for each ``platform`` entity a prop announces."""

    @callback
    def add(prop_id: str, specs: list[EntitySpec]) -> None:
        async_add_entities([entity_class(hub, prop_id, spec) for spec in specs])

    hub.register_platform(platform, add)
