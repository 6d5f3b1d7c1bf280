"""A prop's readings kept for weeks: Home Assistant's recorder compiles them into long-term statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from ..common import propnet_entry
from .prop import Prop

START = datetime(2026, 10, 31, 20, 0, tzinfo=UTC)
ENTITIES = [
    {
        "key": "crypt_temperature",
        "type": "sensor",
        "name": "Crypt temperature",
        "unit": "°C",
        "device_class": "temperature",
        "state_class": "measurement",
        "precision": 1,
    },
    {
        "key": "triggers",
        "type": "sensor",
        "name": "Triggers",
        "state_class": "total_increasing",
    },
    # No state class: a reading Home Assistant keeps only as history.
    {"key": "last_tag", "type": "sensor", "name": "Last tag"},
]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant itself, then allow custom integrations."""


async def test_a_props_readings_become_long_term_statistics(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A haunt's fog-room temperature and its scare count, five minutes of them, compiled as the recorder does."""
    freezer.move_to(START)
    entry: MockConfigEntry = propnet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    prop = Prop(hass, prop_id="crypt", name="Crypt", entities=ENTITIES)
    prop.state = {"triggers": 0, "last_tag": "none"}
    await prop.connect()
    temperature = "sensor.crypt_crypt_temperature"
    assert er.async_get(hass).async_get(temperature) is not None

    for minute, celsius, triggers in ((0, 14.0, 0), (1, 12.5, 1), (3, 11.0, 3)):
        freezer.move_to(START + timedelta(minutes=minute, seconds=10))
        prop.send("telemetry", {"crypt_temperature": celsius})
        prop.send("status", {"triggers": triggers})
        await hass.async_block_till_done()
    assert hass.states.get(temperature).state == "11.0"
    await async_wait_recording_done(hass)

    freezer.move_to(START + timedelta(minutes=5, seconds=1))
    do_adhoc_statistics(hass, start=START)
    await async_wait_recording_done(hass)

    stats = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        START,
        START + timedelta(minutes=5),
        {temperature, "sensor.crypt_triggers", "sensor.crypt_last_tag"},
        "5minute",
    )
    assert set(stats) == {temperature, "sensor.crypt_triggers"}
    (reading,) = stats[temperature]
    assert (reading["min"], reading["max"]) == (11.0, 14.0)
    # Time-weighted over the 290 s it had a reading: 14 for 60 s, 12.5 for
    # 120 s, 11 for 110 s.
    assert reading["mean"] == pytest.approx((14 * 60 + 12.5 * 120 + 11 * 110) / 290)
    (count,) = stats["sensor.crypt_triggers"]
    assert (count["state"], count["sum"]) == (3, 3)
