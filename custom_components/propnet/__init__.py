"""The PropNet integration: show props and show lighting over MQTT."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    EVENT_COMPONENT_LOADED,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType
from homeassistant.setup import EventComponentLoaded

from .blueprints import async_install_blueprints
from .const import CONF_BASE, CONF_KIND, CONF_PREFIX, DOMAIN, KIND_LIGHTING, PLATFORMS
from .hub.hub import PropHub
from .lighting.coordinator import LightingCoordinator
from .lighting.http import async_setup_api
from .services import async_setup_services
from .voice import async_setup_voice

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
LIGHTING_PLATFORMS = [Platform.LIGHT, Platform.SENSOR]


@dataclass(slots=True)
class PropNetData:
    """What one PropNet entry holds while it is loaded: a props hub or lighting."""

    prefix: str
    hub: PropHub | None = None
    lighting: LightingCoordinator | None = None

    @property
    def props(self) -> PropHub:
        """Return the props hub; only props entries set up prop platforms."""
        assert self.hub is not None
        return self.hub


type PropNetConfigEntry = ConfigEntry[PropNetData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register PropNet's actions and API, and its Assist sentences once Assist runs."""
    async_setup_services(hass)
    await async_install_blueprints(hass)
    if "http" in hass.config.components:
        async_setup_api(hass)

    async def setup_voice() -> None:
        if (unsubscribe := await async_setup_voice(hass)) is not None:
            hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_STOP, lambda _: unsubscribe()
            )

    if "conversation" in hass.config.components:
        await setup_voice()
    else:

        @callback
        def on_loaded(event: Event[EventComponentLoaded]) -> None:
            if event.data["component"] == "conversation":
                cancel()
                hass.async_create_task(setup_voice(), eager_start=True)

        cancel = hass.bus.async_listen(EVENT_COMPONENT_LOADED, on_loaded)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Set up a props hub or show lighting once the MQTT client is ready."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="mqtt_unavailable"
        )
    if entry.data.get(CONF_KIND) == KIND_LIGHTING:
        return await _async_setup_lighting(hass, entry)
    prefix: str = entry.data[CONF_PREFIX]
    _remove_devices_of_other_prefixes(hass, entry, prefix)
    hub = PropHub(hass, entry.entry_id, prefix)
    entry.runtime_data = PropNetData(prefix=prefix, hub=hub)
    # Platforms first, so the retained announces that arrive on subscribing
    # find every platform ready to add entities.
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(hub.async_stop)
    await hub.async_start()
    return True


def _remove_devices_of_other_prefixes(
    hass: HomeAssistant, entry: PropNetConfigEntry, prefix: str
) -> None:
    """Remove the props an entry followed under a prefix it no longer has."""
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not any(
            domain == DOMAIN and identifier.startswith(f"{prefix}/")
            for domain, identifier in device.identifiers
        ):
            registry.async_update_device(
                device.id, remove_config_entry_id=entry.entry_id
            )


async def _async_setup_lighting(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Start show lighting: engine, outputs, input, and its light and sensors."""
    coordinator = LightingCoordinator(hass, entry)
    entry.runtime_data = PropNetData(prefix=entry.data[CONF_BASE], lighting=coordinator)
    await coordinator.async_start()
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, LIGHTING_PLATFORMS)
    return True


async def _async_options_updated(
    hass: HomeAssistant, entry: PropNetConfigEntry
) -> None:
    """Apply changed lighting options at once, without a restart."""
    await hass.config_entries.async_reload(entry.entry_id)


def _platforms(entry: PropNetConfigEntry) -> list[Platform]:
    return (
        LIGHTING_PLATFORMS
        if entry.data.get(CONF_KIND) == KIND_LIGHTING
        else list(PLATFORMS)
    )


async def async_unload_entry(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Unload a PropNet entry and everything it subscribed to."""
    unloaded = await hass.config_entries.async_unload_platforms(
        entry, _platforms(entry)
    )
    if unloaded and (coordinator := entry.runtime_data.lighting) is not None:
        await coordinator.async_stop()
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PropNetConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a prop's device, clearing its retained announce."""
    hub = entry.runtime_data.hub
    if hub is None:
        return True
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(f"{hub.prefix}/"):
            await hub.async_remove_prop(identifier.removeprefix(f"{hub.prefix}/"))
    return True
