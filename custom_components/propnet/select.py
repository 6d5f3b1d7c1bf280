"""Select entities of props: modes and scenes to choose from."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import PropEntity, async_register_platform
from .hub.hub import KEY_LOG_LEVEL, PropHub
from .protocol.announce import EntitySpec
from .protocol.commands import ACTION_LOG_LEVEL
from .runtime import PropsConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PropsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a select for each one a prop announces, and a Log level for every prop."""
    hub = entry.runtime_data
    async_register_platform(hub, "select", PropSelect, async_add_entities)

    @callback
    def add_log_level(prop_id: str) -> None:
        async_add_entities([PropLogLevel(hub, prop_id)])

    hub.register_prop_added(add_log_level)


class PropSelect(PropEntity, SelectEntity):
    """A prop's select."""

    def _apply_spec(self, spec: EntitySpec) -> None:
        super()._apply_spec(spec)
        self._attr_options = list(spec.options or ())

    @property
    def current_option(self) -> str | None:
        """Return the option the prop reported."""
        value = self.reported
        return value if isinstance(value, str) and value in self.options else None

    async def async_select_option(self, option: str) -> None:
        """Ask the prop to switch to ``option``."""
        await self._set(option)


class PropLogLevel(SelectEntity):
    """How much a prop logs, set at run time; its config's level is back after a restart."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "log_level"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_entity_registry_enabled_default = False

    def __init__(self, hub: PropHub, prop_id: str) -> None:
        """Describe the log level of ``prop_id``."""
        self.hub = hub
        self.prop_id = prop_id
        self._attr_options = ["debug", "info", "warning", "error"]
        self._attr_unique_id = hub.unique_id(prop_id, KEY_LOG_LEVEL)
        self._attr_device_info = DeviceInfo(
            identifiers={hub.device_identifier(prop_id)}
        )
        self._level: str | None = None
        self._session = -1

    @property
    def available(self) -> bool:
        """Return whether the prop can be reached."""
        return self.hub.available(self.prop_id)

    @property
    def current_option(self) -> str | None:
        """Return the level set since the prop last started; unknown before that."""
        prop = self.hub.props.get(self.prop_id)
        if prop is None or prop.sessions != self._session:
            return None
        return self._level

    async def async_added_to_hass(self) -> None:
        """Follow the prop's availability (a restart forgets the level)."""
        self.async_on_remove(
            self.hub.async_add_listener(
                self.prop_id, KEY_LOG_LEVEL, self.async_write_ha_state
            )
        )

    async def async_select_option(self, option: str) -> None:
        """Send the level to the prop."""
        await self.hub.async_command(
            self.prop_id, ACTION_LOG_LEVEL, params={"level": option}
        )
        self._level = option
        self._session = self.hub.props[self.prop_id].sessions
        self.async_write_ha_state()
