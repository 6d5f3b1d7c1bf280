"""Constants shared by the PropNet integration's modules."""

from __future__ import annotations

import logging
from typing import Final

from homeassistant.const import Platform

from .protocol.names import DEFAULT_PREFIX

DOMAIN: Final = "propnet"
LOGGER: Final = logging.getLogger(__package__)

CONF_PREFIX: Final = "prefix"
DEFAULT_TITLE: Final = "PropNet"

# The Home Assistant bus event fired for every event a prop sends.
EVENT_PROPNET: Final = "propnet_event"

# Each announced entity type is served by the platform of the same name.
PLATFORMS: Final = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.LIGHT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SIREN,
    Platform.SWITCH,
    Platform.TEXT,
]

__all__ = [
    "CONF_PREFIX",
    "DEFAULT_PREFIX",
    "DEFAULT_TITLE",
    "DOMAIN",
    "EVENT_PROPNET",
    "LOGGER",
    "PLATFORMS",
]
