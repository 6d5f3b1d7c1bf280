"""Assist sentences that press a prop's buttons by name, which Assist cannot by itself."""

from __future__ import annotations

import re
from typing import Any, Final

from homeassistant.components.homeassistant.exposed_entities import (
    async_should_expose,
)
from homeassistant.const import ATTR_ENTITY_ID, ATTR_FRIENDLY_NAME
from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.script import ScriptRunResult
from homeassistant.helpers.trigger import (
    async_initialize_triggers,
    async_validate_trigger_config,
)

from .const import DOMAIN, LOGGER

SENTENCES: Final = ["press [the] {name}", "push [the] {name}"]
ASSISTANT: Final = "conversation"


def _normal(name: str) -> str:
    """Fold a spoken or written name for comparison."""
    words = re.sub(r"[^\w\s]", " ", name.casefold()).split()
    if words and words[0] == "the":
        words = words[1:]
    if words and words[-1] == "button":
        words = words[:-1]
    return " ".join(words)


def _find_button(hass: HomeAssistant, spoken: str) -> tuple[str, str] | None:
    """Return (entity id, friendly name) of the exposed prop button called ``spoken``."""
    wanted = _normal(spoken)
    registry = er.async_get(hass)
    for entry in registry.entities.values():
        if entry.platform != DOMAIN or entry.domain != "button" or entry.disabled:
            continue
        state = hass.states.get(entry.entity_id)
        if state is None or not async_should_expose(hass, ASSISTANT, entry.entity_id):
            continue
        friendly = str(state.attributes.get(ATTR_FRIENDLY_NAME, entry.entity_id))
        names = {friendly, *entry.aliases}
        if entry.name:
            names.add(entry.name)
        if any(_normal(name) == wanted for name in names):
            return entry.entity_id, friendly
    return None


def _answer(text: str) -> ScriptRunResult:
    return ScriptRunResult(
        conversation_response=text, service_response=None, variables={}
    )


async def async_setup_voice(hass: HomeAssistant) -> CALLBACK_TYPE | None:
    """Teach Assist to press prop buttons: "press the coffin jumper scare"."""

    async def press(
        run_variables: dict[str, Any], context: Context | None = None
    ) -> ScriptRunResult:
        spoken = str(run_variables["trigger"]["slots"].get("name", ""))
        found = _find_button(hass, spoken)
        if found is None:
            return _answer(f"There is no prop button called {spoken}.")
        entity_id, friendly = found
        try:
            await hass.services.async_call(
                "button",
                "press",
                {ATTR_ENTITY_ID: entity_id},
                blocking=True,
                context=context,
            )
        except HomeAssistantError as err:
            return _answer(f"{friendly} did not respond: {err}")
        return _answer(f"Pressed {friendly}.")

    config = await async_validate_trigger_config(
        hass, [{"platform": ASSISTANT, "command": SENTENCES}]
    )
    return await async_initialize_triggers(
        hass, config, press, DOMAIN, "PropNet buttons", LOGGER.log
    )
