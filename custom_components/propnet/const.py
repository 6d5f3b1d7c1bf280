"""Constants shared by the PropNet integration's modules."""

from __future__ import annotations

import logging
from typing import Final

from .protocol.names import DEFAULT_PREFIX

DOMAIN: Final = "propnet"
LOGGER: Final = logging.getLogger(__package__)

CONF_PREFIX: Final = "prefix"
DEFAULT_TITLE: Final = "PropNet"

__all__ = ["CONF_PREFIX", "DEFAULT_PREFIX", "DEFAULT_TITLE", "DOMAIN", "LOGGER"]
