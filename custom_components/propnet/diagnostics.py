"""Diagnostics for PropNet entries and prop devices, with private details redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from . import PropNetConfigEntry
from .const import DOMAIN

TO_REDACT = {"mac", "ip", "url"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PropNetConfigEntry
) -> dict[str, Any]:
    """Return the entry's props and its counters of dropped messages, or its lighting."""
    if (lighting := entry.runtime_data.lighting) is not None:
        return lighting.diagnostics()
    hub = entry.runtime_data.props
    return {
        "prefix": hub.prefix,
        "broker_connected": hub.connected,
        "dropped": {"total": hub.drops.total, "by_reason": dict(hub.drops.counts)},
        "props": {
            prop_id: async_redact_data(hub.snapshot(prop_id), TO_REDACT)
            for prop_id in sorted(hub.props)
        },
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: PropNetConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return what the hub knows of one prop."""
    hub = entry.runtime_data.props
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier.startswith(f"{hub.prefix}/"):
            prop_id = identifier.removeprefix(f"{hub.prefix}/")
            if prop_id in hub.props:
                return {
                    "prop_id": prop_id,
                    **async_redact_data(hub.snapshot(prop_id), TO_REDACT),
                }
    return {"prop_id": None}
