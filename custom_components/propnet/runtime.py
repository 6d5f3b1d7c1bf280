"""What a loaded PropNet entry holds, and which prop a device is."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN
from .hub.hub import PropHub
from .lighting.coordinator import LightingCoordinator

# An entry is either a props hub (one topic prefix) or show lighting (one RGB
# base topic); its runtime data says which, and code narrows it once.
type PropNetConfigEntry = ConfigEntry[PropHub | LightingCoordinator]
# Platforms that only props have are set up for props entries alone.
type PropsConfigEntry = ConfigEntry[PropHub]
type LightingConfigEntry = ConfigEntry[LightingCoordinator]


def entry_ids(device: dr.DeviceEntry) -> tuple[str, ...]:
    """Return the ids of the config entries ``device`` belongs to.

    Since 2026.8 a device has one entry, ``config_entry_id``; reading the old
    ``config_entries`` set logs a warning from 2026.10 and fails in 2027.10.
    """
    if hasattr(device, "config_entry_id"):
        entry_id: str | None = getattr(device, "config_entry_id")  # noqa: B009
        return () if entry_id is None else (entry_id,)
    return tuple(device.config_entries)


def loaded_entries(
    hass: HomeAssistant, device: dr.DeviceEntry
) -> Iterator[PropNetConfigEntry]:
    """Yield the loaded PropNet entries that ``device`` belongs to."""
    for entry_id in entry_ids(device):
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is not None
            and entry.domain == DOMAIN
            and entry.state is ConfigEntryState.LOADED
        ):
            yield entry


def prop_of_device(
    hass: HomeAssistant, device: dr.DeviceEntry
) -> tuple[PropHub, str] | None:
    """Return the props hub and prop id behind ``device``, or None for any other device."""
    for entry in loaded_entries(hass, device):
        hub = entry.runtime_data
        if isinstance(hub, PropHub) and (prop_id := hub.prop_id_of(device.identifiers)):
            return hub, prop_id
    return None


def lighting_of_device(
    hass: HomeAssistant, device: dr.DeviceEntry
) -> LightingCoordinator | None:
    """Return the show lighting whose device ``device`` is, or None."""
    for entry in loaded_entries(hass, device):
        lighting = entry.runtime_data
        if isinstance(lighting, LightingCoordinator) and (
            (DOMAIN, lighting.device_identifier) in device.identifiers
        ):
            return lighting
    return None
