"""The PropNet integration: show props and show lighting over MQTT."""

from __future__ import annotations

from homeassistant.components import mqtt
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
from .config_flow import OLD_LIGHTING_TITLE, lighting_title
from .const import CONF_BASE, CONF_KIND, CONF_PREFIX, DOMAIN, KIND_LIGHTING, PLATFORMS
from .hub.hub import PropHub
from .lighting.coordinator import LightingCoordinator, saved_stores
from .lighting.http import async_setup_api
from .runtime import PropNetConfigEntry, lighting_of_device, prop_of_device
from .services import async_setup_services
from .shows import async_setup_shows, async_unload_shows, leads_store
from .voice import async_setup_voice
from .websocket import async_setup_websocket

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
LIGHTING_PLATFORMS = [Platform.LIGHT, Platform.NUMBER, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register PropNet's actions and API, and its Assist sentences once Assist runs."""
    async_setup_services(hass)
    async_setup_websocket(hass)
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
    hub = PropHub(hass, entry.entry_id, entry.data[CONF_PREFIX])
    _remove_devices_of_other_prefixes(hass, entry, hub)
    entry.runtime_data = hub
    if await async_setup_shows(hass, entry.entry_id, hub) is not None:
        entry.async_on_unload(lambda: async_unload_shows(hass, entry.entry_id))
    # Platforms first, so the retained announces that arrive on subscribing
    # find every platform ready to add entities.
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(hub.async_stop)
    await hub.async_start()
    return True


def _remove_devices_of_other_prefixes(
    hass: HomeAssistant, entry: PropNetConfigEntry, hub: PropHub
) -> None:
    """Remove the props an entry followed under a prefix it no longer has."""
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if hub.prop_id_of(device.identifiers) is None:
            registry.async_update_device(
                device.id, remove_config_entry_id=entry.entry_id
            )


async def _async_setup_lighting(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Start show lighting: engine, outputs, input, and its light and sensors."""
    coordinator = LightingCoordinator(hass, entry)
    entry.runtime_data = coordinator
    try:
        await coordinator.async_start()
        await hass.config_entries.async_forward_entry_setups(entry, LIGHTING_PLATFORMS)
    except BaseException:
        # Home Assistant does not unload an entry whose set-up failed: undo
        # the subscriptions, the stop listener and the serial threads here.
        await coordinator.async_stop()
        raise
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Bring an entry of an older PropNet up to date.

    1.2: a lighting entry still named as PropNet first named it is called
    Show lighting, as its device and the docs are; a name the user chose stays.
    """
    if entry.version > 1:
        return False
    if entry.minor_version < 2:
        title = entry.title
        if entry.data.get(CONF_KIND) == KIND_LIGHTING:
            base = entry.data[CONF_BASE]
            if title == lighting_title(base, OLD_LIGHTING_TITLE):
                title = lighting_title(base)
        hass.config_entries.async_update_entry(entry, title=title, minor_version=2)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Unload a PropNet entry and everything it subscribed to."""
    lighting = entry.runtime_data
    if not isinstance(lighting, LightingCoordinator):
        return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    unloaded = await hass.config_entries.async_unload_platforms(
        entry, LIGHTING_PLATFORMS
    )
    if unloaded:
        await lighting.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: PropNetConfigEntry) -> None:
    """Delete what PropNet saved for an entry the user deleted."""
    if entry.data.get(CONF_KIND) == KIND_LIGHTING:
        for store in saved_stores(hass, entry.entry_id):
            await store.async_remove()
    else:
        await leads_store(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PropNetConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a prop's device, clearing its retained announce.

    Show lighting's own device cannot be deleted while its entry is loaded:
    it would come straight back; deleting the entry removes it.
    """
    if lighting_of_device(hass, device) is not None:
        return False
    if (target := prop_of_device(hass, device)) is not None:
        hub, prop_id = target
        await hub.async_remove_prop(prop_id)
    return True
