"""Fixtures for the props hub: a loaded PropNet entry and a scripted prop."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from ..common import propnet_entry
from .prop import Prop


@pytest.fixture
async def entry(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> MockConfigEntry:
    """Return a loaded PropNet entry for the default prefix."""
    config_entry = propnet_entry()
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


@pytest.fixture
async def prop(hass: HomeAssistant, entry: MockConfigEntry) -> Prop:
    """Return the coffin jumper, connected and announced."""
    coffin = Prop(hass)
    await coffin.connect()
    return coffin
