"""Config flow for PropNet: a props hub per topic prefix, show lighting per RGB base topic."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from homeassistant.data_entry_flow import section
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
from .lighting.universe import FixtureError, Kind, parse_fixtures
from .protocol.announce import MAX_ANNOUNCE_BYTES
from .protocol.decode import ProtocolError, decode_object
from .protocol.names import TOPIC_ANNOUNCE, is_prop_id, prefix_error, split_topic
from .protocol.rgb import DEFAULT_BASE


def entry_title(prefix: str) -> str:
    """Return the title of the entry that serves ``prefix``."""
    return DEFAULT_TITLE if prefix == DEFAULT_PREFIX else f"{DEFAULT_TITLE} ({prefix})"


LIGHTING_TITLE = "Show lighting"
# What lighting entries were called before minor version 2; renamed on load.
OLD_LIGHTING_TITLE = f"{DEFAULT_TITLE} lighting"


def lighting_title(base: str, title: str = LIGHTING_TITLE) -> str:
    """Return the title of the lighting entry on RGB base topic ``base``."""
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
    MINOR_VERSION = 2

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
                # The user's own set-up goes ahead of a prop's announce that
                # offered the same prefix: that offer ends when this entry is made.
                await self.async_set_unique_id(
                    unique_id(value), raise_on_progress=False
                )
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

# The options form's sections, each field in one; the options stay one flat
# mapping, as they were saved before there were sections.
SECTIONS: dict[str, tuple[str, ...]] = {
    "patch": (CONF_FIXTURES,),
    "enttec": (
        CONF_ENTTEC_PORT,
        CONF_ENTTEC_UNIVERSE,
        CONF_ENTTEC_FPS,
        CONF_ENTTEC_MORE,
    ),
    "ola": (CONF_OLA_URL, CONF_OLA_UNIVERSE),
    "network": (CONF_NETWORK_OUTPUTS,),
    "inputs": (
        CONF_INPUT_PORT,
        CONF_INPUT_BAUDRATE,
        CONF_INPUT_CHANNEL,
        CONF_SACN_INPUT_UNIVERSE,
        CONF_SACN_INPUT_CHANNEL,
        CONF_SACN_INPUT_PORT,
    ),
    "advanced": (CONF_DEDUPE_TTL, CONF_DEDUPE_CAPACITY, CONF_QUEUE_SIZE),
}
# Open unless nothing in them needs a look at first: the engine's tuning.
COLLAPSED = frozenset({"advanced"})


def _multiline() -> selector.TextSelector:
    return selector.TextSelector(selector.TextSelectorConfig(multiline=True))


class LightingOptionsFlow(OptionsFlow):
    """Queue, dedupe, fixtures, outputs and the DMX input of show lighting.

    A fixture or a network output can be added through a form of its own
    (name, channel, kind...) or typed as a line in the settings; both end in
    the same lines of text, which is what the options hold.
    """

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the settings, or adding and removing a fixture or an output."""
        menu = ["settings", "add_fixture", "add_output"]
        current = self._current()
        if current[CONF_FIXTURES].strip():
            menu.insert(2, "remove_fixture")
        if current[CONF_NETWORK_OUTPUTS].strip():
            menu.append("remove_output")
        return self.async_show_menu(step_id="init", menu_options=menu)

    def _current(self) -> dict[str, Any]:
        return {**LIGHTING_DEFAULTS, **self.config_entry.options}

    def _save(self, options: dict[str, Any]) -> ConfigFlowResult:
        options = {
            key: int(value) if isinstance(value, float) else value
            for key, value in options.items()
        }
        # Saved and reloaded here rather than by an update listener: a
        # listener beside the reconfigure step's reload is deprecated
        # (2026.6) and an error from 2026.12, and OptionsFlowWithReload does
        # not exist in 2025.4.
        entry = self.config_entry
        if self.hass.config_entries.async_update_entry(entry, options=options):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data=options)

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show every lighting option in sections; changes apply at once."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        current = self._current()
        if user_input is not None:
            answer = {
                key: value
                for name, part in user_input.items()
                for key, value in (part.items() if name in SECTIONS else [(name, part)])
            }
            # A cleared optional field is absent from the answer: it means off.
            current = {
                **current,
                **dict.fromkeys(OPTIONAL_TEXT, ""),
                **answer,
            }
            if (problem := _rig_problem(current)) is not None:
                errors["base"], placeholders["error"] = problem
            else:
                return self._save(current)
        ports = selector.SelectSelector(
            selector.SelectSelectorConfig(
                options=await self.hass.async_add_executor_job(detect_ports),
                custom_value=True,
                mode=selector.SelectSelectorMode.DROPDOWN,
            )
        )
        fields: dict[str, tuple[type[vol.Marker], Any]] = {
            CONF_FIXTURES: (vol.Required, _multiline()),
            CONF_ENTTEC_PORT: (vol.Optional, ports),
            CONF_ENTTEC_UNIVERSE: (vol.Required, _number(1, 63999)),
            CONF_ENTTEC_FPS: (vol.Required, _number(1, 44, unit="fps")),
            CONF_ENTTEC_MORE: (vol.Optional, _multiline()),
            CONF_OLA_URL: (vol.Optional, selector.TextSelector()),
            CONF_OLA_UNIVERSE: (vol.Required, _number(1, 65535)),
            CONF_NETWORK_OUTPUTS: (vol.Optional, _multiline()),
            CONF_INPUT_PORT: (vol.Optional, ports),
            CONF_INPUT_BAUDRATE: (vol.Required, _number(1200, 1_000_000)),
            CONF_INPUT_CHANNEL: (vol.Required, _number(1, 510)),
            CONF_SACN_INPUT_UNIVERSE: (vol.Required, _number(0, 63999)),
            CONF_SACN_INPUT_CHANNEL: (vol.Required, _number(1, 510)),
            CONF_SACN_INPUT_PORT: (vol.Required, _number(1, 65535)),
            CONF_DEDUPE_TTL: (vol.Required, _number(1, 86400, unit="s")),
            CONF_DEDUPE_CAPACITY: (vol.Required, _number(1, 1_000_000)),
            CONF_QUEUE_SIZE: (vol.Required, _number(1, 1_000_000)),
        }
        schema = vol.Schema(
            {
                vol.Required(name): section(
                    vol.Schema({fields[key][0](key): fields[key][1] for key in keys}),
                    {"collapsed": name in COLLAPSED},
                )
                for name, keys in SECTIONS.items()
            }
        )
        suggested = {
            name: {key: current[key] for key in keys if current.get(key) is not None}
            for name, keys in SECTIONS.items()
        }
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_add_fixture(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add one fixture from its name, address and kind."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        current = self._current()
        if user_input is not None:
            options = {
                **current,
                CONF_FIXTURES: _add_line(
                    current[CONF_FIXTURES], fixture_line(user_input)
                ),
            }
            if (problem := _rig_problem(options)) is not None:
                errors["base"], placeholders["error"] = problem
            else:
                return self._save(options)
        schema = vol.Schema(
            {
                vol.Required("name"): selector.TextSelector(),
                vol.Required("universe", default=1): _number(1, 63999),
                vol.Required("channel"): _number(1, 512),
                vol.Required("kind", default=Kind.RGB.value): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=[kind.value for kind in Kind],
                        translation_key="fixture_kind",
                        mode=selector.SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Optional("fine", default=False): selector.BooleanSelector(),
                vol.Optional("order"): selector.TextSelector(),
                vol.Optional("kelvin"): selector.TextSelector(),
                vol.Optional("channel_names"): selector.TextSelector(),
            }
        )
        return self.async_show_form(
            step_id="add_fixture",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_remove_fixture(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Remove fixtures picked by name."""
        current = self._current()
        lines = [line for line in current[CONF_FIXTURES].splitlines() if line.strip()]
        if user_input is not None:
            gone = set(user_input["fixtures"])
            kept = [line for line in lines if line not in gone]
            return self._save({**current, CONF_FIXTURES: "\n".join(kept)})
        return self.async_show_form(
            step_id="remove_fixture",
            data_schema=vol.Schema({vol.Required("fixtures"): _pick(lines)}),
        )

    async def async_step_add_output(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add one sACN or Art-Net output from its protocol, address and universes."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        current = self._current()
        if user_input is not None:
            options = {
                **current,
                CONF_NETWORK_OUTPUTS: _add_line(
                    current[CONF_NETWORK_OUTPUTS], output_line(user_input)
                ),
            }
            if (problem := _rig_problem(options)) is not None:
                errors["base"], placeholders["error"] = problem
            else:
                return self._save(options)
        schema = vol.Schema(
            {
                vol.Required("protocol", default="sacn"): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=["sacn", "artnet"],
                        translation_key="output_protocol",
                        mode=selector.SelectSelectorMode.LIST,
                    )
                ),
                vol.Optional("address"): selector.TextSelector(),
                vol.Required("universes", default="1"): selector.TextSelector(),
                vol.Required("fps", default=40): _number(1, 44, unit="fps"),
                vol.Required("priority", default=100): _number(1, 200),
            }
        )
        return self.async_show_form(
            step_id="add_output",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_remove_output(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Remove network outputs picked from the list."""
        current = self._current()
        lines = [
            line for line in current[CONF_NETWORK_OUTPUTS].splitlines() if line.strip()
        ]
        if user_input is not None:
            gone = set(user_input["outputs"])
            kept = [line for line in lines if line not in gone]
            return self._save({**current, CONF_NETWORK_OUTPUTS: "\n".join(kept)})
        return self.async_show_form(
            step_id="remove_output",
            data_schema=vol.Schema({vol.Required("outputs"): _pick(lines)}),
        )


def _pick(lines: list[str]) -> selector.SelectSelector:
    return selector.SelectSelector(
        selector.SelectSelectorConfig(
            options=lines, multiple=True, mode=selector.SelectSelectorMode.LIST
        )
    )


def _add_line(text: str, line: str) -> str:
    return "\n".join([*(old for old in text.splitlines() if old.strip()), line])


def _rig_problem(options: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return the error key and text of what in the rig cannot be used, if anything."""
    try:
        parse_fixtures(options[CONF_FIXTURES])
        parse_widgets(options[CONF_ENTTEC_MORE])
    except FixtureError as err:
        return "invalid_fixtures", str(err)
    except PortListError as err:
        return "invalid_widgets", str(err)
    try:
        parse_network_outputs(options[CONF_NETWORK_OUTPUTS])
    except NetworkOutputError as err:
        return "invalid_network_outputs", str(err)
    return None


def fixture_line(answer: Mapping[str, Any]) -> str:
    """Return the fixtures line of the add-a-fixture form's answer."""
    universe, channel = int(answer["universe"]), int(answer["channel"])
    address = str(channel) if universe == 1 else f"{universe}/{channel}"
    parts = [str(answer["name"]).strip(), address, str(answer["kind"])]
    if answer.get("fine"):
        parts.append("16bit")
    if order := str(answer.get("order") or "").strip():
        parts.append(f"order={order}")
    if kelvin := str(answer.get("kelvin") or "").strip():
        parts.append(f"kelvin={kelvin}")
    names = str(answer.get("channel_names") or "")
    parts += [name.strip() for name in names.split(",") if name.strip()]
    return ", ".join(parts)


def output_line(answer: Mapping[str, Any]) -> str:
    """Return the network outputs line of the add-an-output form's answer."""
    protocol = str(answer["protocol"])
    address = str(answer.get("address") or "").strip() or "multicast"
    universes = "".join(str(answer["universes"]).split())
    line = f"{protocol} {address} universes={universes} fps={int(answer['fps'])}"
    if protocol == "sacn":
        line += f" priority={int(answer['priority'])}"
    return line
