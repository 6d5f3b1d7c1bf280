"""Button entities: the buttons props announce, plus Identify and Restart for each prop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import (
    ButtonDeviceClass,
    ButtonEntity,
    ButtonEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PropEntity, async_register_platform
from .hub.hub import KEY_IDENTIFY, KEY_RESTART, PropHub
from .protocol.announce import Announce
from .protocol.commands import ACTION_IDENTIFY, ACTION_PRESS, ACTION_REBOOT
from .runtime import PropsConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PropActionDescription(ButtonEntityDescription):
    """A button PropNet gives every prop, and what pressing it does."""

    press_fn: Callable[[PropHub, str], Awaitable[Any]]
    exists_fn: Callable[[Announce], bool] = lambda _: True


PROP_ACTIONS: tuple[PropActionDescription, ...] = (
    PropActionDescription(
        key=KEY_IDENTIFY,
        translation_key="identify",
        device_class=ButtonDeviceClass.IDENTIFY,
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda hub, prop_id: hub.async_command(prop_id, ACTION_IDENTIFY),
        exists_fn=lambda announce: announce.identify,
    ),
    PropActionDescription(
        key=KEY_RESTART,
        translation_key="restart",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press_fn=lambda hub, prop_id: hub.async_command(prop_id, ACTION_REBOOT),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add announced buttons, and Identify and Restart to every prop."""
    hub = entry.runtime_data
    async_register_platform(hub, "button", PropButton, async_add_entities)

    @callback
    def add_prop_buttons(prop_id: str) -> None:
        announce = hub.props[prop_id].announce
        assert announce is not None
        async_add_entities(
            PropActionButton(hub, prop_id, description)
            for description in PROP_ACTIONS
            if description.exists_fn(announce)
        )

    hub.register_prop_added(add_prop_buttons)


class PropButton(PropEntity, ButtonEntity):
    """A button a prop announced; pressing it sends the press action."""

    async def async_press(self) -> None:
        """Press the button on the prop."""
        await self._command(ACTION_PRESS)


class PropActionButton(ButtonEntity):
    """A button the hub gives every prop for one of the built-in actions."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: PropActionDescription

    def __init__(
        self, hub: PropHub, prop_id: str, description: PropActionDescription
    ) -> None:
        """Describe the button ``description`` on prop ``prop_id``."""
        self.hub = hub
        self.prop_id = prop_id
        self.entity_description = description
        self._attr_unique_id = hub.unique_id(prop_id, description.key)
        self._attr_device_info = DeviceInfo(
            identifiers={hub.device_identifier(prop_id)}
        )

    @property
    def available(self) -> bool:
        """Return whether the prop can be reached."""
        return self.hub.available(self.prop_id)

    async def async_added_to_hass(self) -> None:
        """Follow the prop's availability."""
        self.async_on_remove(
            self.hub.async_add_listener(
                self.prop_id, self.entity_description.key, self.async_write_ha_state
            )
        )

    async def async_press(self) -> None:
        """Send the action to the prop."""
        await self.entity_description.press_fn(self.hub, self.prop_id)
