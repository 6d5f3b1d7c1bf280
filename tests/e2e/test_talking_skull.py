"""The talking skull (servo jaw, DFPlayer voice) on MicroPython, in a real Home Assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
import time
from typing import Any

import pytest

from tests.e2e.conftest import RUN
from tests.harness.broker import Broker
from tests.harness.hass import Hass
from tests.harness.virtual_prop import VirtualProp
from tests.harness.ws import HassWebSocket

PLAYING = "switch.talking_skull_voice_playing"
JAW = "number.talking_skull_jaw"


class SkullStack:
    """A broker, Home Assistant with PropNet, and the talking skull on the unix port."""

    def __init__(self, folder: Path) -> None:
        """Start everything; the skull's DFPlayer is the unix port's simulated one."""
        self.broker = Broker(folder / "broker").start()
        self.hass = Hass(folder / "hass", RUN).prepare().start()
        self.hass.ensure_mqtt(self.broker.host, self.broker.port)
        result = self.hass.config_flow(
            "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
        )
        assert result["type"] == "create_entry", result
        self.prop = VirtualProp(
            "talking_skull", folder / "flash", self.broker.host, self.broker.port
        ).start()

    def wait_state(
        self, entity_id: str, want: str, timeout: float = 30
    ) -> dict[str, Any]:
        """Wait until ``entity_id`` is ``want``."""
        return self.hass.wait_state(entity_id, want, timeout, self.prop.tail())

    def stop(self) -> None:
        """Stop the prop, hass and the broker."""
        self.prop.stop()
        self.hass.stop()
        self.broker.stop()


@pytest.fixture(scope="module")
def skull(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SkullStack]:
    """Start one stack for this module's stories, which run in order."""
    import pytest_socket

    pytest_socket.enable_socket()
    running = SkullStack(tmp_path_factory.mktemp("skull"))
    yield running
    running.stop()


def test_the_skull_appears_with_its_voice_and_jaw(skull: SkullStack) -> None:
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
    skull: SkullStack, entity_ids: tuple[str, ...], press: str, until: str
) -> list[tuple[str, str]]:
    """Press ``press`` and return every state change of ``entity_ids`` until ``until`` is off."""
    seen: list[tuple[str, str]] = []
    async with HassWebSocket(skull.hass.url, skull.hass.token) as ws:
        await ws.command("subscribe_events", event_type="state_changed")
        skull.hass.post("/api/services/button/press", {"entity_id": press})
        deadline = time.monotonic() + 40
        started = False
        while time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(ws.receive(), 5)
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
                if started and state == "off":
                    return seen
    raise AssertionError(f"{until} never went on and off again: {seen}")


def test_speak_runs_the_sequence_voice_jaw_and_eyes(skull: SkullStack) -> None:
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
    # Two tracks, each waited for: on, off, on, off (the state may coalesce
    # between the tracks, but the last change before the eyes go off is "off").
    assert playing[0] == "on", seen
    assert playing[-1] == "off", seen
    eyes_off = seen.index(("light.talking_skull_eyes", "off"))
    assert seen.index((PLAYING, "off")) < eyes_off, seen
    skull.wait_state(PLAYING, "off")


def test_voice_and_jaw_are_driven_from_home_assistant(skull: SkullStack) -> None:
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
