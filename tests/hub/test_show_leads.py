"""Stories of measured lead times: a slow device's action is timed in one run and called that much early in the next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.propnet import shows
from custom_components.propnet.hub.clock import hub_clock
from custom_components.propnet.protocol.timesync import hub_us
from custom_components.propnet.shows import DATA_SHOWS

from ..common import propnet_entry
from .test_shows import write_show

PORCH = """\
name: Porch
lead: 0.5
cues:
  - {at: 0.3, action: test.slow_on, target: {entity_id: light.porch}, lead: measured}
duration: 1
"""
PLAYER = "media_player.porch"
SLOW_S = 0.25  # the porch light takes this long to say it is on


@pytest.fixture
async def porch(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> AsyncIterator[list[int]]:
    """Give PropNet a porch light that takes a quarter of a second to come on; yield when it did (hub us)."""
    hass.config.config_dir = str(tmp_path)
    write_show(hass, "porch", PORCH)
    came_on: list[int] = []

    async def slow_on(call: ServiceCall) -> None:
        async def later() -> None:
            await asyncio.sleep(SLOW_S)
            hass.states.async_set("light.porch", "on")
            came_on.append(hub_us())

        hass.async_create_task(later())

    hass.services.async_register("test", "slow_on", slow_on)
    hass.states.async_set("light.porch", "off")
    entry: MockConfigEntry = propnet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield came_on
    hub_clock(hass).close()


async def run_once(hass: HomeAssistant) -> int:
    """Play the show to its end and return its cue's instant (hub us); the light goes off again."""
    await hass.services.async_call(
        "media_player", "media_play", {"entity_id": PLAYER}, blocking=True
    )
    runner = next(iter(hass.data[DATA_SHOWS].values())).runners["porch"]
    instant = runner.start_us + 300_000
    for _ in range(300):
        if runner.state == "idle":
            break
        await asyncio.sleep(0.01)
    assert runner.state == "idle"
    hass.states.async_set("light.porch", "off")
    await hass.async_block_till_done()
    return instant


async def test_a_measured_lead_calls_a_slow_light_early_enough_to_be_on_time(
    hass: HomeAssistant, porch: list[int]
) -> None:
    """First run: the light is a quarter second late, and that is measured. Second run: it is called that much early."""
    state = hass.states.get(PLAYER)
    assert state is not None
    assert state.attributes["measured_leads_ms"] == {"test.slow_on light.porch": 0}

    first = await run_once(hass)
    late_first = porch[-1] - first
    assert late_first >= SLOW_S * 1e6
    measured = hass.states.get(PLAYER).attributes["measured_leads_ms"]
    lead = measured["test.slow_on light.porch"]
    assert SLOW_S * 1000 <= lead < SLOW_S * 1000 + 200, measured

    second = await run_once(hass)
    late_second = porch[-1] - second
    # Called ``lead`` early, it came on ``lead`` less late than before.
    assert abs(late_second) < late_first - 150_000, (late_first, late_second)


SILENT = """\
name: Silent
lead: 0.2
cues:
  - {at: 0.1, action: test.nothing, target: {entity_id: light.cellar}, lead: measured}
  - {at: 0.2, action: test.quick, lead: measured}
duration: 0.5
"""


async def test_an_action_that_changes_nothing_gives_no_measure_and_one_without_entities_is_timed_to_its_return(
    hass: HomeAssistant, porch: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cellar light that never answers keeps its lead (and is counted); a script-like action is timed until it returns."""
    monkeypatch.setattr(shows, "MEASURE_TIMEOUT", 0.3)

    async def nothing(call: ServiceCall) -> None:
        return None

    async def quick(call: ServiceCall) -> None:
        await asyncio.sleep(0.05)

    hass.services.async_register("test", "nothing", nothing)
    hass.services.async_register("test", "quick", quick)
    write_show(hass, "silent", SILENT)
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()
    library = next(iter(hass.data[DATA_SHOWS].values()))
    runner = library.runners["silent"]
    await hass.services.async_call(
        "media_player",
        "media_play",
        {"entity_id": "media_player.silent"},
        blocking=True,
    )
    for _ in range(200):
        if runner.state == "idle" and library.targets.leads.timeouts:
            break
        await asyncio.sleep(0.01)
    assert library.targets.leads.timeouts == 1
    measured = hass.states.get("media_player.silent").attributes["measured_leads_ms"]
    assert measured["test.nothing light.cellar"] == 0
    assert 50 <= measured["test.quick"] < 250, measured
