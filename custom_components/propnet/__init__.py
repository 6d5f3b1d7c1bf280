"""The PropNet integration: show props and show lighting over MQTT."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady

from .const import CONF_PREFIX, DOMAIN


@dataclass(slots=True)
class PropNetData:
    """What one PropNet entry holds while it is loaded."""

    prefix: str


type PropNetConfigEntry = ConfigEntry[PropNetData]


async def async_setup_entry(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Set up PropNet for one topic prefix once the MQTT client is ready."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="mqtt_unavailable"
        )
    entry.runtime_data = PropNetData(prefix=entry.data[CONF_PREFIX])
    return True


async def async_unload_entry(hass: HomeAssistant, entry: PropNetConfigEntry) -> bool:
    """Unload a PropNet entry."""
    return True
