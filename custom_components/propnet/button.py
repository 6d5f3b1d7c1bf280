"""Button entities: the buttons props announce, plus Identify and Restart for each prop."""

from __future__ import annotations

from homeassistant.components.button import ButtonDeviceClass, ButtonEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import PropNetConfigEntry
from .entity import PropEntity, async_register_platform
from .hub.hub import KEY_IDENTIFY, KEY_RESTART, PropHub
from .protocol.commands import ACTION_IDENTIFY, ACTION_PRESS, ACTION_REBOOT

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropNetConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add announced buttons, and Identify and Restart to every prop."""
    hub = entry.runtime_data.props
    async_register_platform(hub, "button", PropButton, async_add_entities)

    @callback
    def add_prop_buttons(prop_id: str) -> None:
        async_add_entities(
            [
                PropActionButton(hub, prop_id, KEY_IDENTIFY, ACTION_IDENTIFY),
                PropActionButton(hub, prop_id, KEY_RESTART, ACTION_REBOOT),
            ]
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
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, hub: PropHub, prop_id: str, key: str, action: str) -> None:
        """Describe the button for ``action`` on prop ``prop_id``."""
        self.hub = hub
        self.prop_id = prop_id
        self.action = action
        self._attr_unique_id = hub.unique_id(prop_id, key)
        self._attr_device_info = DeviceInfo(
            identifiers={hub.device_identifier(prop_id)}
        )
        self._attr_translation_key = key.lstrip("$")
        self._attr_device_class = (
            ButtonDeviceClass.IDENTIFY
            if action == ACTION_IDENTIFY
            else ButtonDeviceClass.RESTART
        )
        self._key = key

    @property
    def available(self) -> bool:
        """Return whether the prop can be reached."""
        return self.hub.available(self.prop_id)

    async def async_added_to_hass(self) -> None:
        """Follow the prop's availability."""
        self.async_on_remove(
            self.hub.async_add_listener(
                self.prop_id, self._key, self.async_write_ha_state
            )
        )

    async def async_press(self) -> None:
        """Send the action to the prop."""
        await self.hub.async_command(self.prop_id, self.action)
