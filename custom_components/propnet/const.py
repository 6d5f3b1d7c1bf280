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

# An entry is a props hub (one topic prefix) or show lighting (one RGB base
# topic). Entries without "kind" are props hubs.
CONF_KIND: Final = "kind"
KIND_PROPS: Final = "props"
KIND_LIGHTING: Final = "lighting"
CONF_BASE: Final = "base"

# Lighting options, with the old demo server's defaults where it had one.
CONF_DEDUPE_TTL: Final = "dedupe_ttl"
CONF_DEDUPE_CAPACITY: Final = "dedupe_capacity"
CONF_QUEUE_SIZE: Final = "queue_size"
CONF_FIXTURES: Final = "fixtures"
CONF_ENTTEC_PORT: Final = "enttec_port"
CONF_ENTTEC_FPS: Final = "enttec_fps"
CONF_ENTTEC_UNIVERSE: Final = "enttec_universe"
CONF_ENTTEC_MORE: Final = "enttec_more"
CONF_OLA_URL: Final = "ola_url"
CONF_OLA_UNIVERSE: Final = "ola_universe"
CONF_INPUT_PORT: Final = "input_port"
CONF_INPUT_BAUDRATE: Final = "input_baudrate"
CONF_INPUT_CHANNEL: Final = "input_channel"
CONF_NETWORK_OUTPUTS: Final = "network_outputs"
CONF_SACN_INPUT_UNIVERSE: Final = "sacn_input_universe"
CONF_SACN_INPUT_CHANNEL: Final = "sacn_input_channel"
CONF_SACN_INPUT_PORT: Final = "sacn_input_port"
LIGHTING_DEFAULTS: Final = {
    CONF_DEDUPE_TTL: 900,
    CONF_DEDUPE_CAPACITY: 4096,
    CONF_QUEUE_SIZE: 10000,
    CONF_FIXTURES: "Main, 1, rgb",
    CONF_ENTTEC_PORT: "",
    CONF_ENTTEC_FPS: 40,
    CONF_ENTTEC_UNIVERSE: 1,
    CONF_ENTTEC_MORE: "",
    CONF_OLA_URL: "",
    CONF_OLA_UNIVERSE: 1,
    CONF_INPUT_PORT: "",
    CONF_INPUT_BAUDRATE: 115200,
    CONF_INPUT_CHANNEL: 1,
    CONF_NETWORK_OUTPUTS: "",
    CONF_SACN_INPUT_UNIVERSE: 0,
    CONF_SACN_INPUT_CHANNEL: 1,
    CONF_SACN_INPUT_PORT: 5568,
}

# The Home Assistant bus event fired for every event a prop sends.
EVENT_PROPNET: Final = "propnet_event"

# Entities PropNet names (and, for these, labels the states of) in the
# user's language when a prop's announce gives their translation_key.
TRANSLATED_ENTITIES: Final[dict[str, frozenset[str]]] = {
    "sensor": frozenset({"uptime", "rssi", "free_memory", "reset_reason"}),
    "select": frozenset({"mode"}),
}

# Each announced entity type is served by the platform of the same name.
PLATFORMS: Final = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.LIGHT,
    Platform.MEDIA_PLAYER,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SIREN,
    Platform.SWITCH,
    Platform.TEXT,
    Platform.UPDATE,
]

__all__ = [
    "CONF_BASE",
    "CONF_KIND",
    "CONF_PREFIX",
    "DEFAULT_PREFIX",
    "DEFAULT_TITLE",
    "DOMAIN",
    "EVENT_PROPNET",
    "LOGGER",
    "PLATFORMS",
]
