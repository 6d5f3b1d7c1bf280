"""Stories of a user speaking to Assist about their props."""

from __future__ import annotations

from typing import Any

from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from .prop import Prop


async def say(hass: HomeAssistant, text: str) -> dict[str, Any]:
    """Say ``text`` to Assist and return its answer."""
    result = await hass.services.async_call(
        "conversation",
        "process",
        {"text": text, "language": "en"},
        blocking=True,
        return_response=True,
    )
    assert result is not None
    await hass.async_block_till_done()
    response: dict[str, Any] = result["response"]
    return response


@pytest.fixture
async def assist(hass: HomeAssistant, prop: Prop) -> None:
    """Set up Assist as a default installation has it."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()


async def test_turn_the_eyes_on_and_off_by_voice(
    hass: HomeAssistant, prop: Prop, assist: None
) -> None:
    """'Turn on the Coffin Jumper Eyes' lights the prop's eyes."""
    response = await say(hass, "turn on the coffin jumper eyes")
    assert response["response_type"] == "action_done", response
    assert prop.commands[-1]["key"] == "eyes"
    assert prop.commands[-1]["value"] == {"on": True}
    assert hass.states.get("light.coffin_jumper_eyes").state == STATE_ON

    response = await say(hass, "turn off coffin jumper eyes")
    assert response["response_type"] == "action_done", response
    assert hass.states.get("light.coffin_jumper_eyes").state == STATE_OFF


async def test_open_and_close_the_lid_by_voice(
    hass: HomeAssistant, prop: Prop, assist: None
) -> None:
    """Switches answer to their full name."""
    response = await say(hass, "turn on coffin jumper lid")
    assert response["response_type"] == "action_done", response
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_ON
    response = await say(hass, "turn off the coffin jumper lid")
    assert response["response_type"] == "action_done", response
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_OFF


def speech(response: dict[str, Any]) -> str:
    """Return what Assist says."""
    return str(response["speech"]["plain"]["speech"])


@pytest.mark.parametrize(
    "sentence",
    [
        "press coffin jumper scare",
        "press the Coffin Jumper Scare button",
        "push the coffin jumper scare",
    ],
)
async def test_press_the_scare_button_by_voice(
    hass: HomeAssistant, prop: Prop, assist: None, sentence: str
) -> None:
    """Once the user exposes the Scare button to Assist, 'press' fires it."""
    async_expose_entity(hass, "conversation", "button.coffin_jumper_scare", True)
    response = await say(hass, sentence)
    assert speech(response) == "Pressed Coffin Jumper Scare."
    assert prop.commands[-1]["action"] == "press"
    assert prop.commands[-1]["key"] == "scare"


async def test_a_button_answers_to_its_alias(
    hass: HomeAssistant, prop: Prop, assist: None
) -> None:
    """An alias given in the UI works as a name."""
    from homeassistant.helpers import entity_registry as er

    er.async_get(hass).async_update_entity(
        "button.coffin_jumper_scare", aliases={"the big scare"}
    )
    async_expose_entity(hass, "conversation", "button.coffin_jumper_scare", True)
    assert (
        speech(await say(hass, "press the big scare")) == "Pressed Coffin Jumper Scare."
    )


async def test_unexposed_or_unknown_buttons_are_not_pressed(
    hass: HomeAssistant, prop: Prop, assist: None
) -> None:
    """Assist says so instead of claiming it pressed something."""
    response = await say(hass, "press coffin jumper scare")
    assert speech(response) == "There is no prop button called coffin jumper scare."
    assert prop.commands == []
    response = await say(hass, "press the fog machine")
    assert speech(response) == "There is no prop button called fog machine."


async def test_a_refusing_prop_is_reported_by_voice(
    hass: HomeAssistant, prop: Prop, assist: None
) -> None:
    """When the prop refuses, Assist says it did not respond as asked."""
    async_expose_entity(hass, "conversation", "button.coffin_jumper_scare", True)
    prop.reply = "busy"
    response = await say(hass, "press coffin jumper scare")
    assert speech(response).startswith("Coffin Jumper Scare did not respond:")
    assert "busy" in speech(response)


def documented_sentences() -> list[str]:
    """Return the sentences in the Voice table of docs/props.md."""
    from pathlib import Path
    import re

    docs = (Path(__file__).parents[2] / "docs" / "props.md").read_text(encoding="utf-8")
    section = docs.split("## Voice", 1)[1].split("\n## ", 1)[0]
    return re.findall(r'^\| "([^"]+)" \|', section, re.MULTILINE)


def test_the_voice_table_lists_sentences() -> None:
    """The documentation's table is where the sentences below come from."""
    assert len(documented_sentences()) >= 9


@pytest.mark.parametrize("sentence", documented_sentences())
async def test_every_documented_sentence_works(
    hass: HomeAssistant, prop: Prop, assist: None, sentence: str
) -> None:
    """Each sentence the documentation promises is understood and carried out."""
    async_expose_entity(hass, "conversation", "button.coffin_jumper_scare", True)
    response = await say(hass, sentence.rstrip("?"))
    assert response["response_type"] in ("action_done", "query_answer"), response
    if response["response_type"] == "action_done":
        assert prop.commands, sentence
    if sentence.lower().startswith(("press", "push")):
        assert speech(response) == "Pressed Coffin Jumper Scare."
        assert prop.commands[-1]["action"] == "press"
