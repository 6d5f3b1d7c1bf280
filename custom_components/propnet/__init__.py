"""The PropNet integration: show props and show lighting over MQTT."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_COMPONENT_LOADED, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType
from homeassistant.setup import EventComponentLoaded

from .const import CONF_PREFIX, DOMAIN, PLATFORMS
from .hub.hub import PropHub
from .services import async_setup_services
from .voice import async_setup_voice

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


@dataclass(slots=True)
class PropNetData:
    """What one PropNet entry holds while it is loaded."""

    prefix: str
    hub: PropHub


type PropNetConfigEntry = ConfigEntry[PropNetData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register PropNet's actions, and its Assist sentences once Assist runs."""
    async_setup_services(hass)

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
    """Set up PropNet for one topic prefix once the MQTT client is ready."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="mqtt_unavailable"
        )
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


async def async_unload_entry(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Unload a PropNet entry and everything it subscribed to."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PropNetConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a prop's device, clearing its retained announce."""
    hub = entry.runtime_data.hub
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(f"{hub.prefix}/"):
            await hub.async_remove_prop(identifier.removeprefix(f"{hub.prefix}/"))
    return True
