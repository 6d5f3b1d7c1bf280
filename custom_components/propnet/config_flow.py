"""Config flow for PropNet: a props hub per topic prefix, show lighting per RGB base topic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.mqtt import DOMAIN as MQTT_DOMAIN
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import voluptuous as vol

from .const import (
    CONF_BASE,
    CONF_DEDUPE_CAPACITY,
    CONF_DEDUPE_TTL,
    CONF_ENTTEC_FPS,
    CONF_ENTTEC_MORE,
    CONF_ENTTEC_PORT,
    CONF_ENTTEC_UNIVERSE,
    CONF_FIXTURES,
    CONF_INPUT_BAUDRATE,
    CONF_INPUT_CHANNEL,
    CONF_INPUT_PORT,
    CONF_KIND,
    CONF_NETWORK_OUTPUTS,
    CONF_OLA_UNIVERSE,
    CONF_OLA_URL,
    CONF_PREFIX,
    CONF_QUEUE_SIZE,
    CONF_SACN_INPUT_CHANNEL,
    CONF_SACN_INPUT_PORT,
    CONF_SACN_INPUT_UNIVERSE,
    DEFAULT_PREFIX,
    DEFAULT_TITLE,
    DOMAIN,
    KIND_LIGHTING,
    KIND_PROPS,
    LIGHTING_DEFAULTS,
)
from .lighting.outputs.network import NetworkOutputError, parse_network_outputs
from .lighting.outputs.ports import PortListError, detect_ports, parse_widgets
from .lighting.universe import FixtureError, parse_fixtures
from .protocol.announce import MAX_ANNOUNCE_BYTES
from .protocol.decode import ProtocolError, decode_object
from .protocol.names import TOPIC_ANNOUNCE, is_prop_id, prefix_error, split_topic
from .protocol.rgb import DEFAULT_BASE


def entry_title(prefix: str) -> str:
    """Return the title of the entry that serves ``prefix``."""
    return DEFAULT_TITLE if prefix == DEFAULT_PREFIX else f"{DEFAULT_TITLE} ({prefix})"


def lighting_title(base: str) -> str:
    """Return the title of the lighting entry on RGB base topic ``base``."""
    title = f"{DEFAULT_TITLE} lighting"
    return title if base == DEFAULT_BASE else f"{title} ({base})"


def lighting_unique_id(base: str) -> str:
    """Return the unique id of a lighting entry; prefixes cannot hold ':'."""
    return f"lighting:{base}"


def _prop_name(prop_id: str, payload: str | bytes | bytearray) -> str:
    """Return the name an announce gives its prop, or its id when it has none."""
    try:
        name = decode_object(payload, MAX_ANNOUNCE_BYTES).get("name")
    except ProtocolError:
        return prop_id
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

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options of show lighting."""
        return LightingOptionsFlow()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Offer options for lighting entries only; a props hub has none."""
        return config_entry.data.get(CONF_KIND) == KIND_LIGHTING

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user choose between a props hub and show lighting."""
        if self._mqtt_missing():
            return self.async_abort(reason="mqtt_not_configured")
        return self.async_show_menu(step_id="user", menu_options=["props", "lighting"])

    async def _topic_step(
        self,
        user_input: dict[str, Any] | None,
        *,
        step_id: str,
        field: str,
        error: str,
        current: str,
        unique_id: Callable[[str], str],
        finish: Callable[[str], ConfigFlowResult],
    ) -> ConfigFlowResult:
        """Ask for one MQTT topic (a prefix or a base), check it, then ``finish``.

        Each topic may serve one entry; an entry being reconfigured may keep its own.
        """
        errors: dict[str, str] = {}
        value = current
        if user_input is not None:
            value = user_input[field].strip()
            if prefix_error(value) is not None:
                errors[field] = error
            else:
                await self.async_set_unique_id(unique_id(value))
                if (
                    self.source != SOURCE_RECONFIGURE
                    or unique_id(value) != self._get_reconfigure_entry().unique_id
                ):
                    self._abort_if_unique_id_configured()
                return finish(value)
        return self.async_show_form(
            step_id=step_id,
            data_schema=vol.Schema({vol.Required(field, default=value): str}),
            errors=errors,
        )

    async def async_step_lighting(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the RGB channel's base topic."""
        return await self._topic_step(
            user_input,
            step_id="lighting",
            field=CONF_BASE,
            error="invalid_base",
            current=DEFAULT_BASE,
            unique_id=lighting_unique_id,
            finish=lambda base: self.async_create_entry(
                title=lighting_title(base),
                data={CONF_KIND: KIND_LIGHTING, CONF_BASE: base},
                options=dict(LIGHTING_DEFAULTS),
            ),
        )

    async def async_step_props(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the user for the topic prefix."""
        return await self._topic_step(
            user_input,
            step_id="props",
            field=CONF_PREFIX,
            error="invalid_prefix",
            current=DEFAULT_PREFIX,
            unique_id=str,
            finish=lambda prefix: self.async_create_entry(
                title=entry_title(prefix),
                data={CONF_KIND: KIND_PROPS, CONF_PREFIX: prefix},
            ),
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
                title=entry_title(DEFAULT_PREFIX),
                data={CONF_KIND: KIND_PROPS, CONF_PREFIX: DEFAULT_PREFIX},
            )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={"name": self._prop_name},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user change the topic prefix or base topic of an entry."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_KIND) == KIND_LIGHTING:
            return await self.async_step_reconfigure_lighting(user_input)
        return await self._topic_step(
            user_input,
            step_id="reconfigure",
            field=CONF_PREFIX,
            error="invalid_prefix",
            current=entry.data[CONF_PREFIX],
            unique_id=str,
            finish=lambda prefix: self.async_update_reload_and_abort(
                entry,
                unique_id=prefix,
                title=entry_title(prefix),
                data_updates={CONF_PREFIX: prefix},
            ),
        )

    async def async_step_reconfigure_lighting(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user move show lighting to another RGB base topic."""
        entry = self._get_reconfigure_entry()
        return await self._topic_step(
            user_input,
            step_id="reconfigure_lighting",
            field=CONF_BASE,
            error="invalid_base",
            current=entry.data[CONF_BASE],
            unique_id=lighting_unique_id,
            finish=lambda base: self.async_update_reload_and_abort(
                entry,
                unique_id=lighting_unique_id(base),
                title=lighting_title(base),
                data_updates={CONF_BASE: base},
            ),
        )


def _number(low: int, high: int, unit: str = "") -> selector.NumberSelector:
    config = selector.NumberSelectorConfig(
        min=low, max=high, step=1, mode=selector.NumberSelectorMode.BOX
    )
    if unit:
        config["unit_of_measurement"] = unit
    return selector.NumberSelector(config)


OPTIONAL_TEXT = (
    CONF_ENTTEC_PORT,
    CONF_ENTTEC_MORE,
    CONF_OLA_URL,
    CONF_INPUT_PORT,
    CONF_NETWORK_OUTPUTS,
)


class LightingOptionsFlow(OptionsFlow):
    """Queue, dedupe, fixtures, outputs and the DMX input of show lighting."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show every lighting option on one form; changes apply at once."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        current = {**LIGHTING_DEFAULTS, **self.config_entry.options}
        if user_input is not None:
            # A cleared optional field is absent from the answer: it means off.
            current = {
                **current,
                **dict.fromkeys(OPTIONAL_TEXT, ""),
                **user_input,
            }
            try:
                parse_fixtures(user_input[CONF_FIXTURES])
            except FixtureError as err:
                errors[CONF_FIXTURES] = "invalid_fixtures"
                placeholders["error"] = str(err)
            try:
                parse_widgets(current[CONF_ENTTEC_MORE])
            except PortListError as err:
                errors[CONF_ENTTEC_MORE] = "invalid_widgets"
                placeholders["error"] = str(err)
            try:
                parse_network_outputs(current[CONF_NETWORK_OUTPUTS])
            except NetworkOutputError as err:
                errors[CONF_NETWORK_OUTPUTS] = "invalid_network_outputs"
                placeholders["error"] = str(err)
            if not errors:
                options = {
                    key: int(value) if isinstance(value, float) else value
                    for key, value in current.items()
                }
                # Saved and reloaded here rather than by an update listener:
                # a listener beside the reconfigure step's reload is
                # deprecated (2026.6) and an error from 2026.12, and
                # OptionsFlowWithReload does not exist in 2025.4.
                entry = self.config_entry
                if self.hass.config_entries.async_update_entry(entry, options=options):
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_create_entry(data=options)
        ports = selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=await self.hass.async_add_executor_job(detect_ports),
                custom_value=True,
                mode=selector.SelectSelectorMode.DROPDOWN,
            )
        )
        schema = vol.Schema(
            {
                vol.Required(CONF_FIXTURES): selector.TextSelector(
                    selector.TextSelectorConfig(multiline=True)
                ),
                vol.Optional(CONF_ENTTEC_PORT): ports,
                vol.Required(CONF_ENTTEC_UNIVERSE): _number(1, 63999),
                vol.Optional(CONF_ENTTEC_MORE): selector.TextSelector(
                    selector.TextSelectorConfig(multiline=True)
                ),
                vol.Required(CONF_ENTTEC_FPS): _number(1, 44, unit="fps"),
                vol.Optional(CONF_OLA_URL): str,
                vol.Required(CONF_OLA_UNIVERSE): _number(1, 65535),
                vol.Optional(CONF_NETWORK_OUTPUTS): selector.TextSelector(
                    selector.TextSelectorConfig(multiline=True)
                ),
                vol.Optional(CONF_INPUT_PORT): ports,
                vol.Required(CONF_INPUT_BAUDRATE): _number(1200, 1_000_000),
                vol.Required(CONF_INPUT_CHANNEL): _number(1, 510),
                vol.Required(CONF_SACN_INPUT_UNIVERSE): _number(0, 63999),
                vol.Required(CONF_SACN_INPUT_CHANNEL): _number(1, 510),
                vol.Required(CONF_SACN_INPUT_PORT): _number(1, 65535),
                vol.Required(CONF_DEDUPE_TTL): _number(1, 86400, unit="s"),
                vol.Required(CONF_DEDUPE_CAPACITY): _number(1, 1_000_000),
                vol.Required(CONF_QUEUE_SIZE): _number(1, 1_000_000),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, current),
            errors=errors,
            description_placeholders=placeholders,
        )
