"""Config flow for PropNet: set up a topic prefix by hand or from a prop's announce."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.components.mqtt import DOMAIN as MQTT_DOMAIN
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import voluptuous as vol

from .const import CONF_PREFIX, DEFAULT_PREFIX, DEFAULT_TITLE, DOMAIN
from .protocol.names import TOPIC_ANNOUNCE, is_prop_id, prefix_error, split_topic


def entry_title(prefix: str) -> str:
    """Return the title of the entry that serves ``prefix``."""
    return DEFAULT_TITLE if prefix == DEFAULT_PREFIX else f"{DEFAULT_TITLE} ({prefix})"


def _prop_name(prop_id: str, payload: str | bytes | bytearray) -> str:
    """Return the name an announce gives its prop, or its id when it has none."""
    try:
        announce = json.loads(payload)
    except ValueError:
        return prop_id
    name = announce.get("name") if isinstance(announce, dict) else None
    return name if isinstance(name, str) and name.strip() else prop_id


class PropNetConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one PropNet entry per MQTT topic prefix."""

    VERSION = 1
    MINOR_VERSION = 1

    _prop_name: str

    def _mqtt_missing(self) -> bool:
        """Return whether no usable MQTT entry exists to carry PropNet."""
        return not self.hass.config_entries.async_entries(
            MQTT_DOMAIN, include_ignore=False, include_disabled=False
        )

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the user for the topic prefix."""
        if self._mqtt_missing():
            return self.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        prefix = DEFAULT_PREFIX
        if user_input is not None:
            prefix = user_input[CONF_PREFIX].strip()
            if prefix_error(prefix) is not None:
                errors[CONF_PREFIX] = "invalid_prefix"
            else:
                await self.async_set_unique_id(prefix)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=entry_title(prefix), data={CONF_PREFIX: prefix}
                )
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema({vol.Required(CONF_PREFIX, default=prefix): str}),
            errors=errors,
        )

    async def async_step_mqtt(
        self, discovery_info: MqttServiceInfo
    ) -> ConfigFlowResult:
        """Offer PropNet when a prop announces itself on the default prefix."""
        parts = split_topic(DEFAULT_PREFIX, discovery_info.topic)
        if (
            parts is None
            or parts[1] != TOPIC_ANNOUNCE
            or not is_prop_id(parts[0])
            or not discovery_info.payload
        ):
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(DEFAULT_PREFIX)
        self._abort_if_unique_id_configured()
        self._prop_name = _prop_name(parts[0], discovery_info.payload)
        self.context["title_placeholders"] = {"name": self._prop_name}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the set-up that a prop's announce started."""
        if user_input is not None:
            return self.async_create_entry(
                title=entry_title(DEFAULT_PREFIX), data={CONF_PREFIX: DEFAULT_PREFIX}
            )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={"name": self._prop_name},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user change the topic prefix of an entry."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        prefix: str = entry.data[CONF_PREFIX]
        if user_input is not None:
            prefix = user_input[CONF_PREFIX].strip()
            if prefix_error(prefix) is not None:
                errors[CONF_PREFIX] = "invalid_prefix"
            else:
                await self.async_set_unique_id(prefix)
                if prefix != entry.unique_id:
                    self._abort_if_unique_id_configured()
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=prefix,
                    title=entry_title(prefix),
                    data_updates={CONF_PREFIX: prefix},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vol.Schema({vol.Required(CONF_PREFIX, default=prefix): str}),
            errors=errors,
        )
