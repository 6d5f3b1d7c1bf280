"""Helpers shared by PropNet's Home Assistant tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.propnet.config_flow import SECTIONS, entry_title
from custom_components.propnet.const import CONF_PREFIX, DEFAULT_PREFIX, DOMAIN


def propnet_entry(prefix: str = DEFAULT_PREFIX) -> MockConfigEntry:
    """Return a PropNet config entry for ``prefix``, not yet added to hass."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry_title(prefix),
        unique_id=prefix,
        data={CONF_PREFIX: prefix},
    )


def sectioned(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return show lighting's options as its options form's sections answer them."""
    return {
        name: {key: options[key] for key in keys if key in options}
        for name, keys in SECTIONS.items()
    }


async def open_lighting_settings(
    hass: HomeAssistant, entry_id: str
) -> ConfigFlowResult:
    """Open show lighting's options and pick Settings in its menu, as a user does."""
    menu = await hass.config_entries.options.async_init(entry_id)
    assert menu["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        menu["flow_id"], {"next_step_id": "settings"}
    )
