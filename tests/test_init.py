"""Stories of a PropNet entry being set up, retried and unloaded."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .common import propnet_entry


async def test_entry_loads_and_unloads(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An entry loads once MQTT is there, and unloads cleanly."""
    entry = propnet_entry("halloween")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.prefix == "halloween"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_entry_waits_for_mqtt(hass: HomeAssistant) -> None:
    """Without an MQTT client the entry is retried later, not failed."""
    assert await async_setup_component(hass, "mqtt", {})
    entry = propnet_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "mqtt_unavailable"
