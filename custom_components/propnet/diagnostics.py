"""Diagnostics for PropNet entries and their devices, with private details redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .hub.hub import PropHub
from .lighting.coordinator import LightingCoordinator
from .runtime import PropNetConfigEntry
from .shows import shows_of

TO_REDACT = {"mac", "ip", "url"}


def _hub_diagnostics(hub: PropHub) -> dict[str, Any]:
    return {
        "prefix": hub.prefix,
        "broker_connected": hub.connected,
        "dropped": {"total": hub.drops.total, "by_reason": dict(hub.drops.counts)},
        "props": {
            prop_id: async_redact_data(hub.snapshot(prop_id), TO_REDACT)
            for prop_id in sorted(hub.props)
        },
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PropNetConfigEntry
) -> dict[str, Any]:
    """Return a props entry's props, dropped messages and shows, or show lighting's state."""
    match entry.runtime_data:
        case LightingCoordinator() as lighting:
            return lighting.diagnostics()
        case hub:
            out = _hub_diagnostics(hub)
            if (library := shows_of(hass, entry.entry_id)) is not None:
                out["shows"] = library.diagnostics()
            return out


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: PropNetConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return what PropNet knows of one prop, or of the show lighting device."""
    match entry.runtime_data:
        case LightingCoordinator() as lighting:
            return lighting.diagnostics()
        case hub:
            prop_id = hub.prop_id_of(device.identifiers)
            if prop_id is None or prop_id not in hub.props:
                return {"prop_id": None}
            return {
                "prop_id": prop_id,
                **async_redact_data(hub.snapshot(prop_id), TO_REDACT),
            }
