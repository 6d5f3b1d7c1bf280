"""Stories of measured lead times: a slow device's action is timed in one run and called that much early in the next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
def saved() -> dict[str, Any] | None:
    """Return what the leads store held before Home Assistant started (nothing, unless a test says)."""
    return None


@pytest.fixture
def entry() -> MockConfigEntry:
    """Return the props hub's config entry."""
    return propnet_entry()


@pytest.fixture
async def porch(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    tmp_path: Path,
    hass_storage: dict[str, Any],
    saved: dict[str, Any] | None,
    entry: MockConfigEntry,
) -> AsyncIterator[list[int]]:
    """Give PropNet a porch light that takes a quarter of a second to come on; yield when it did (hub us)."""
    hass.config.config_dir = str(tmp_path)
    if saved is not None:
        hass_storage[store_key(entry)] = {
            "version": 1,
            "minor_version": 1,
            "key": store_key(entry),
            "data": saved,
        }
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
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield came_on
    hub_clock(hass).close()


def store_key(entry: MockConfigEntry) -> str:
    """Return the storage key of the hub's measured leads."""
    return f"propnet.shows.{entry.entry_id}.leads"


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


async def test_measured_leads_are_kept_when_home_assistant_stops_and_come_back(
    hass: HomeAssistant,
    porch: list[int],
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Measured in one run, saved as the hub unloads, and the show calls the light early from its first run after."""
    await run_once(hass)
    lead = hass.states.get(PLAYER).attributes["measured_leads_ms"][
        "test.slow_on light.porch"
    ]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    kept = hass_storage[store_key(entry)]["data"]["measures"]
    assert kept == {"test.slow_on light.porch": [lead]}

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    measured = hass.states.get(PLAYER).attributes["measured_leads_ms"]
    assert measured == {"test.slow_on light.porch": lead}
    first = await run_once(hass)
    assert abs(porch[-1] - first) < SLOW_S * 1e6 - 150_000, "on time in its first run"


@pytest.mark.parametrize(
    "saved",
    [
        {
            "measures": {
                "test.slow_on light.porch": ["slow"],
                "script.fog": [120, 130, 20_000],
                "light.turn_on light.hall": [],
            }
        },
        {"measures": ["not", "a", "mapping"]},
    ],
    ids=["some-targets-malformed", "not-a-mapping"],
)
async def test_saved_leads_that_are_malformed_are_measured_again(
    hass: HomeAssistant,
    porch: list[int],
    saved: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A target whose saved measures make no sense starts from the show's own lead, says so once, and the rest are kept."""
    measured = hass.states.get(PLAYER).attributes["measured_leads_ms"]
    assert measured == {"test.slow_on light.porch": 0}
    library = next(iter(hass.data[DATA_SHOWS].values()))
    if isinstance(saved["measures"], dict):
        # Said as the hub started, while the test was being set up.
        said = [r.getMessage() for r in caplog.get_records("setup")]
        assert any("2 saved measured leads were malformed" in m for m in said)
        # The long measure is held to the longest lead a show may use.
        assert library.targets.leads.lead_ms("script.fog", 0) == 130
        assert library.targets.leads.measures()["script.fog"] == [120, 130, 10_000]
    else:
        assert library.targets.leads.measures() == {}
    await run_once(hass)
    measured = hass.states.get(PLAYER).attributes["measured_leads_ms"]
    assert measured["test.slow_on light.porch"] >= SLOW_S * 1000


async def test_deleting_the_hub_deletes_its_measured_leads(
    hass: HomeAssistant,
    porch: list[int],
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """What PropNet measured for a hub the user deleted does not stay behind."""
    await run_once(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert store_key(entry) in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert store_key(entry) not in hass_storage
