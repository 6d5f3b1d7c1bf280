"""The talking skull (servo jaw, DFPlayer voice) on MicroPython, in a real Home Assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import time

import pytest

from tests.harness.firmware_stack import FirmwareStack, running
from tests.harness.ws import HassWebSocket

PLAYING = "switch.talking_skull_voice_playing"
JAW = "number.talking_skull_jaw"


@pytest.fixture(scope="module")
def skull(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirmwareStack]:
    """Start one stack for this module's stories, which run in order."""
    with running(tmp_path_factory, "talking_skull") as started:
        yield started


def test_the_skull_appears_with_its_voice_and_jaw(skull: FirmwareStack) -> None:
    """Every entity of the config, each from its component, in its safe state."""
    jaw = skull.wait_state(JAW, "0.0")
    assert jaw["attributes"]["max"] == 45
    assert jaw["attributes"]["unit_of_measurement"] == "°"
    states = skull.hass.states()
    voice = states["select.talking_skull_voice"]
    assert voice["state"] == "welcome"
    assert voice["attributes"]["options"] == ["welcome", "warning", "laugh"]
    assert states["number.talking_skull_voice_volume"]["state"] == "22.0"
    assert states[PLAYING]["state"] == "off"
    assert states["light.talking_skull_eyes"]["state"] == "off"
    for entity_id in (
        "button.talking_skull_speak",
        "binary_sensor.talking_skull_motion",
    ):
        assert entity_id in states, entity_id


async def _states_while(
    skull: FirmwareStack, entity_ids: tuple[str, ...], press: str, until: str
) -> list[tuple[str, str]]:
    """Press ``press`` and return every state change of ``entity_ids`` until ``until`` is off.

    Changes the prop makes together arrive in one status, whose states Home
    Assistant writes one after another, so changes in the second after
    ``until`` goes off are taken too.
    """
    seen: list[tuple[str, str]] = []
    async with HassWebSocket(skull.hass.url, skull.hass.token) as ws:
        await ws.command("subscribe_events", event_type="state_changed")
        skull.hass.post("/api/services/button/press", {"entity_id": press})
        deadline = time.monotonic() + 40
        started = ended = False
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(ws.receive(), min(left, 5))
            except TimeoutError:
                continue
            if message.get("type") != "event":
                continue
            data = message["event"]["data"]
            if data["entity_id"] not in entity_ids or data["new_state"] is None:
                continue
            state = data["new_state"]["state"]
            seen.append((data["entity_id"], state))
            if data["entity_id"] == until:
                started = started or state == "on"
                ended = started and state == "off"
                if ended:
                    deadline = min(deadline, time.monotonic() + 1)
    if not ended:
        raise AssertionError(f"{until} never went on and off again: {seen}")
    return seen


def test_speak_runs_the_sequence_voice_jaw_and_eyes(skull: FirmwareStack) -> None:
    """Speak: eyes on, the jaw gasps, both tracks play one after the other, eyes off."""
    seen = asyncio.run(
        _states_while(
            skull,
            (PLAYING, JAW, "light.talking_skull_eyes", "select.talking_skull_voice"),
            "button.talking_skull_speak",
            "light.talking_skull_eyes",
        )
    )
    jaw = [s for e, s in seen if e == JAW]
    assert jaw[:2] == ["30.0", "0.0"], seen
    tracks = [s for e, s in seen if e == "select.talking_skull_voice"]
    assert tracks == ["laugh"], seen  # welcome was already the chosen one
    playing = [s for e, s in seen if e == PLAYING]
    # Two tracks, each waited for: on, off, on, off. The state may coalesce
    # between the tracks, and the end of the last track may share a status
    # with the eyes going off, so Home Assistant can write those two in either
    # order; but nothing plays once the eyes are off.
    assert playing[0] == "on", seen
    assert playing[-1] == "off", seen
    eyes_off = seen.index(("light.talking_skull_eyes", "off"))
    assert (PLAYING, "on") not in seen[eyes_off:], seen
    skull.wait_state(PLAYING, "off")


def test_voice_and_jaw_are_driven_from_home_assistant(skull: FirmwareStack) -> None:
    """Choosing a track plays it; volume and jaw take the values set."""
    skull.hass.post(
        "/api/services/number/set_value",
        {"entity_id": "number.talking_skull_voice_volume", "value": 12},
    )
    skull.wait_state("number.talking_skull_voice_volume", "12.0")
    skull.hass.post("/api/services/number/set_value", {"entity_id": JAW, "value": 25})
    skull.wait_state(JAW, "25.0")
    skull.hass.post(
        "/api/services/select/select_option",
        {"entity_id": "select.talking_skull_voice", "option": "warning"},
    )
    skull.wait_state("select.talking_skull_voice", "warning")
    skull.wait_state(PLAYING, "on")
    skull.hass.post("/api/services/switch/turn_off", {"entity_id": PLAYING})
    skull.wait_state(PLAYING, "off")
