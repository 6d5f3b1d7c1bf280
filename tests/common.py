"""Helpers shared by PropNet's Home Assistant tests."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.propnet.config_flow import entry_title
from custom_components.propnet.const import CONF_PREFIX, DEFAULT_PREFIX, DOMAIN


def propnet_entry(prefix: str = DEFAULT_PREFIX) -> MockConfigEntry:
    """Return a PropNet config entry for ``prefix``, not yet added to hass."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry_title(prefix),
        unique_id=prefix,
        data={CONF_PREFIX: prefix},
    )
