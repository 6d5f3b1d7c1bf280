"""The virtual coffin jumper, running PropNet's real firmware, in a real Home Assistant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.harness.firmware_stack import FirmwareStack, running
from tests.harness.procs import wait_until
from tests.harness.ws import HassWebSocket

LID = "switch.coffin_jumper_lid"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirmwareStack]:
    """Start one stack for this module's stories, which run in order."""
    with running(tmp_path_factory) as started:
        yield started


def test_the_firmware_prop_appears_with_its_entities(stack: FirmwareStack) -> None:
    """The prop announces itself: a device with every entity of its config."""
    lid = stack.wait_state(LID, "off")
    assert lid["attributes"]["friendly_name"] == "Coffin Jumper Lid"
    states = stack.hass.states()
    for entity_id in (
        "button.coffin_jumper_scare",
        "binary_sensor.coffin_jumper_motion",
        "light.coffin_jumper_eyes",
        "siren.coffin_jumper_scream",
        "number.coffin_jumper_lid_open_time",
        "select.coffin_jumper_mode",
        "event.coffin_jumper_scared",
        "sensor.coffin_jumper_last_restart",
    ):
        assert entity_id in states, entity_id
    assert states["sensor.coffin_jumper_triggers"]["state"] == "0"
    assert states["select.coffin_jumper_mode"]["state"] == "armed"


def test_history_starts_with_the_props_own_state(stack: FirmwareStack) -> None:
    """What the recorder keeps begins with the prop's values, never unknown first."""
    wanted = [LID, "sensor.coffin_jumper_triggers", "select.coffin_jumper_mode"]
    now = datetime.now(UTC)
    query = (
        f"/api/history/period/{(now - timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        f"?end_time={(now + timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        f"&filter_entity_id={','.join(wanted)}"
    )

    def recorded() -> list[list[dict[str, Any]]] | None:
        history: list[list[dict[str, Any]]] = stack.hass.get(query)
        return history if len(history) == len(wanted) else None

    history = wait_until(recorded, 15, "the recorder keeping the prop's states")
    first = {series[0]["entity_id"]: series[0]["state"] for series in history}
    assert first == {
        LID: "off",
        "sensor.coffin_jumper_triggers": "0",
        "select.coffin_jumper_mode": "armed",
    }


async def test_pressing_scare_runs_the_sequence_and_fires_the_event(
    stack: FirmwareStack,
) -> None:
    """Scare in Home Assistant: the event fires, the lid jumps and closes, triggers counts."""
    async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
        await ws.command("subscribe_events", event_type="propnet_event")
        stack.hass.post(
            "/api/services/button/press", {"entity_id": "button.coffin_jumper_scare"}
        )
        while True:
            message = await ws.receive()
            if message.get("type") == "event":
                break
    data = message["event"]["data"]
    assert (data["prop_id"], data["key"], data["type"]) == (
        "coffin_jumper",
        "scared",
        "scare",
    )
    stack.wait_state("sensor.coffin_jumper_triggers", "1")
    eyes = stack.wait_state("light.coffin_jumper_eyes", "on")
    assert eyes["attributes"]["rgb_color"] == [255, 0, 0]
    stack.wait_state(LID, "off")
    scared = stack.hass.states()["event.coffin_jumper_scared"]
    assert scared["attributes"]["event_type"] == "scare"


def test_settings_and_switches_round_trip_through_the_firmware(
    stack: FirmwareStack,
) -> None:
    """Entities drive the prop; the state shown is the state the prop reports."""
    stack.hass.post(
        "/api/services/select/select_option",
        {"entity_id": "select.coffin_jumper_mode", "option": "show"},
    )
    stack.wait_state("select.coffin_jumper_mode", "show")
    stack.hass.post(
        "/api/services/number/set_value",
        {"entity_id": "number.coffin_jumper_lid_open_time", "value": 4.5},
    )
    stack.wait_state("number.coffin_jumper_lid_open_time", "4.5")
    stack.hass.post("/api/services/switch/turn_on", {"entity_id": LID})
    stack.wait_state(LID, "on")
    stack.hass.post("/api/services/switch/turn_off", {"entity_id": LID})
    stack.wait_state(LID, "off")


def test_power_loss_and_return(stack: FirmwareStack) -> None:
    """SIGKILL: unavailable through the last will; powered again: settings kept."""
    # Settings reach flash a second after the last change (to spare the flash).
    saved = stack.prop.folder / "propnet_state.json"

    def written() -> bool:
        return saved.exists() and '"show"' in saved.read_text()

    wait_until(written, 5, "the settings reaching flash")
    stack.prop.kill()
    stack.wait_state(LID, "unavailable")
    stack.prop.start()
    stack.wait_state(LID, "off")
    # The number and select live in the prop's flash.
    stack.wait_state("select.coffin_jumper_mode", "show")
    stack.wait_state("number.coffin_jumper_lid_open_time", "4.5")
