"""Stories of a haunt room: the idle loop plays, motion starts the show, a trigger too soon is refused and counted, the room re-arms."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.propnet.hub.clock import hub_clock
from custom_components.propnet.lighting.coordinator import LightingCoordinator

from ..common import propnet_entry
from ..lighting.test_coordinator import lighting_entry, start
from .prop import Prop
from .test_shows import write_show

CRYPT = """\
name: Crypt
lead: 0.05
cycle:
  trigger: {entity_id: binary_sensor.crypt_motion, to: "on"}
  cooldown: 3
  idle:
    duration: 1
    cues:
      - {at: 0, light: Par, rgb: [0, 0, 40]}
cues:
  - {at: 0, prop: skull, turn_on: lid}
  - {at: 0.1, light: Par, rgb: [255, 0, 0], brightness: 255}
  - {at: 0.8, light: Par, brightness: 0}
duration: 1
"""
MOTION = "binary_sensor.crypt_motion"


class Room:
    """The room's parts: the skull prop, show lighting, and the events its show fired."""

    def __init__(
        self, hass: HomeAssistant, skull: Prop, lighting: LightingCoordinator
    ) -> None:
        """Keep the parts."""
        self.hass = hass
        self.skull = skull
        self.lighting = lighting

    def par(self) -> tuple[float, float, float, float]:
        """Return where the Par fixture is going: red, green, blue, brightness."""
        level = self.lighting.universe.target("Par")
        return (level.r, level.g, level.b, level.brightness)

    def state(self, entity_id: str) -> str:
        """Return an entity's state."""
        found = self.hass.states.get(entity_id)
        assert found is not None, entity_id
        return found.state

    def attrs(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's attributes."""
        found = self.hass.states.get(entity_id)
        assert found is not None, entity_id
        return dict(found.attributes)

    async def motion(self) -> None:
        """Someone walks past: the sensor goes on, then off."""
        self.hass.states.async_set(MOTION, "on")
        await self.hass.async_block_till_done()
        await asyncio.sleep(0.02)
        self.hass.states.async_set(MOTION, "off")
        await self.hass.async_block_till_done()

    async def until(
        self, check: Callable[[], bool], what: str, seconds: float = 10
    ) -> None:
        """Wait, in the loop, until ``check()`` holds."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not check():
            assert asyncio.get_running_loop().time() < deadline, (
                f"{what} did not happen"
            )
            await asyncio.sleep(0.01)


@pytest.fixture
async def room(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    socket_enabled: None,
    tmp_path: Path,
) -> AsyncIterator[Room]:
    """Show lighting with a Par, PropNet with the crypt, and the skull prop online and synced."""
    hass.config.config_dir = str(tmp_path)
    write_show(hass, "crypt", CRYPT)
    hass.states.async_set(MOTION, "off")
    lights: MockConfigEntry = await start(
        hass, lighting_entry(fixtures="Main, 1, rgb\nPar, 4, rgbw")
    )
    entry = propnet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    skull = Prop(
        hass,
        prop_id="skull",
        name="Skull",
        entities=[
            {"key": "lid", "type": "switch"},
            {"key": "clock_synced", "type": "binary_sensor"},
        ],
    )
    skull.announcement["show"] = {"v": 1, "max_cues": 64}
    skull.state = {"lid": False, "clock_synced": True}
    await skull.connect()
    yield Room(hass, skull, lights.runtime_data)
    hub_clock(hass).close()


async def test_motion_starts_the_room_show_and_a_trigger_too_soon_is_refused(
    hass: HomeAssistant, room: Room
) -> None:
    """Idle loop, trigger, show, cooldown, re-arm: what the room's entities say at each step."""
    events: list[str] = []

    # A callback runs in the loop, in order; a plain function would run in
    # the executor, where two events may be appended the other way round.
    @callback
    def show_event(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            events.append(new.attributes["event_type"])

    async_track_state_change_event(hass, "event.crypt_show_event", show_event)
    assert room.state("switch.crypt_armed") == "on"
    assert room.state("number.crypt_cooldown") == "3.0"
    assert room.state("sensor.crypt_runs") == "0"
    assert room.state("sensor.crypt_cycle") == "waiting"
    # Armed and waiting: the idle loop's look.
    await room.until(lambda: room.par()[:3] == (0, 0, 40), "the idle look")

    await room.motion()
    await room.until(lambda: room.state("media_player.crypt") == "playing", "the show")
    actions = [c["action"] for c in room.skull.commands]
    assert actions[-2:] == ["show_load", "show_start"]
    assert room.state("sensor.crypt_cycle") == "running"
    await room.until(lambda: room.par() == (255, 0, 0, 255), "the red flash")
    # A second walk-by while the show runs is refused and counted.
    await room.motion()
    assert room.attrs("sensor.crypt_cycle")["last_refusal"] == "running"
    await room.until(lambda: room.par()[3] == 0, "the blackout cue")

    await room.until(lambda: room.state("media_player.crypt") == "idle", "the end")
    # The hub says how late it reached the cues it fired itself (the two
    # light cues; the prop fires its own).
    lateness = room.attrs("media_player.crypt")["cue_lateness_ms"]
    assert lateness["cues"] == 2
    assert 0 <= lateness["p50"] <= lateness["max"] <= 20
    await room.until(lambda: room.state("sensor.crypt_cycle") == "cooldown", "cooldown")
    await room.motion()
    cycle = room.attrs("sensor.crypt_cycle")
    assert cycle["last_refusal"] == "cooldown"
    assert cycle["refused"] == 2
    assert room.state("sensor.crypt_runs") == "1"
    assert room.state("sensor.crypt_last_run") not in ("unknown", "unavailable")
    # The idle loop comes back while the room cools down.
    await room.until(lambda: room.par()[:3] == (0, 0, 40), "the idle look again")

    await room.until(lambda: room.state("sensor.crypt_cycle") == "waiting", "re-armed")
    await room.motion()
    await room.until(lambda: room.state("sensor.crypt_runs") == "2", "the second run")
    assert events[:3] == ["started", "refused", "ended"]
    assert events.count("started") == 2


async def test_a_disarmed_room_ignores_motion_and_its_cooldown_is_set_from_the_ui(
    hass: HomeAssistant, room: Room
) -> None:
    """Disarming stops the idle loop and refuses triggers; the Cooldown number changes the wait."""
    await room.until(lambda: room.par()[:3] == (0, 0, 40), "the idle look")
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.crypt_cooldown", "value": 30},
        blocking=True,
    )
    assert room.state("number.crypt_cooldown") == "30.0"
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.crypt_armed"}, blocking=True
    )
    assert room.state("sensor.crypt_cycle") == "disarmed"
    await room.motion()
    assert room.state("media_player.crypt") == "idle"
    assert room.attrs("sensor.crypt_cycle")["last_refusal"] == "disarmed"
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.crypt_armed"}, blocking=True
    )
    await room.motion()
    await room.until(lambda: room.state("media_player.crypt") == "playing", "the show")
    await room.until(lambda: room.state("sensor.crypt_cycle") == "cooldown", "cooldown")
    await room.motion()
    assert room.attrs("sensor.crypt_cycle")["last_refusal"] == "cooldown"
