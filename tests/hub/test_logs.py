"""Stories of a prop's log: its level from Home Assistant, and its lines watched live."""

from __future__ import annotations

import logging

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.propnet.const import DOMAIN

from .prop import Prop

LOG_LEVEL = "select.coffin_jumper_log_level"


async def enable(hass: HomeAssistant, entry: MockConfigEntry, entity_id: str) -> None:
    """Enable a disabled-by-default entity as the entity settings dialog does."""
    er.async_get(hass).async_update_entity(entity_id, disabled_by=None)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def test_the_log_level_is_set_from_home_assistant_until_the_prop_restarts(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop
) -> None:
    """Disabled at first; once enabled, choosing Debug sends log_level; a restart forgets it."""
    registry_entry = er.async_get(hass).async_get(LOG_LEVEL)
    assert registry_entry is not None
    assert registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert registry_entry.entity_category == "diagnostic"
    await enable(hass, entry, LOG_LEVEL)
    await prop.connect()
    assert hass.states.get(LOG_LEVEL).state == "unknown"  # type: ignore[union-attr]
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: LOG_LEVEL, "option": "debug"},
        blocking=True,
    )
    assert prop.commands[-1]["action"] == "log_level"
    assert prop.commands[-1]["params"] == {"level": "debug"}
    assert hass.states.get(LOG_LEVEL).state == "debug"  # type: ignore[union-attr]
    prop.go_offline()
    await hass.async_block_till_done()
    await prop.connect()
    assert hass.states.get(LOG_LEVEL).state == "unknown"  # type: ignore[union-attr]


async def test_a_props_log_is_watched_live_over_the_websocket(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    prop: Prop,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Subscribe by device: the recent lines first, then each new one; other props' lines not."""
    prop.send("log", {"level": "warning", "msg": "lid jammed"})
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device(
        identifiers={(DOMAIN, "propnet/coffin_jumper")}
    )
    assert device is not None
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "propnet/log/subscribe", "device_id": device.id}
    )
    result = await client.receive_json()
    assert result["success"] is True
    first = await client.receive_json()
    assert first["event"]["msg"] == "lid jammed"
    assert first["event"]["level"] == "warning"
    other = Prop(hass, prop_id="skull", name="Skull", mac="a4:cf:12:00:00:09")
    await other.connect()
    other.send("log", {"level": "info", "msg": "not this one"})
    prop.send("log", {"level": "info", "msg": "identify"})
    await hass.async_block_till_done()
    second = await client.receive_json()
    assert second["event"]["msg"] == "identify"


async def test_watching_a_device_that_is_no_prop_is_an_error(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """An unknown device id gets not_a_prop."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "propnet/log/subscribe", "device_id": "nope"}
    )
    result = await client.receive_json()
    assert result["success"] is False
    assert result["error"]["code"] == "not_a_prop"


async def test_only_an_administrator_may_watch_a_props_log(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    prop: Prop,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """A user without admin rights is refused the log watch, and sees no line."""
    prop.send("log", {"level": "warning", "msg": "wifi password wrong"})
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device(
        identifiers={(DOMAIN, "propnet/coffin_jumper")}
    )
    assert device is not None
    client = await hass_ws_client(hass, hass_read_only_access_token)
    await client.send_json_auto_id(
        {"type": "propnet/log/subscribe", "device_id": device.id}
    )
    result = await client.receive_json()
    assert result["success"] is False
    assert result["error"]["code"] == "unauthorized"
    assert entry.runtime_data.logs.watching() == 0


def test_a_prop_that_floods_its_log_is_written_at_a_bounded_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """1,000 lines at once: 20 reach Home Assistant's log, all are kept, the rest counted."""
    from custom_components.propnet.const import LOGGER
    from custom_components.propnet.hub.logs import LOG_BURST, LOG_LINES, PropLogs
    from custom_components.propnet.protocol.messages import LogLine

    now = [0.0]
    logs = PropLogs(LOGGER, clock=lambda: now[0])
    seen: list[str] = []
    logs.watch("skull", lambda entry: seen.append(entry["msg"]))
    caplog.set_level(logging.DEBUG, "custom_components.propnet.props")
    for n in range(1000):
        logs.add("skull", LogLine("info", f"loop {n}"))
    written = [r.getMessage() for r in caplog.records if r.name.endswith("skull")]
    assert written == [f"loop {n}" for n in range(int(LOG_BURST))]
    assert len(seen) == 1000
    assert [e["msg"] for e in logs.recent("skull")][-1] == "loop 999"
    assert len(logs.recent("skull")) == LOG_LINES
    caplog.clear()
    now[0] = 1.0  # a second later the rate lets lines through again
    logs.add("skull", LogLine("warning", "lid jammed"))
    written = [r.getMessage() for r in caplog.records if r.name.endswith("skull")]
    assert written == [
        (
            "980 lines from this prop were not written here (more than 5 a second); "
            "its diagnostics and live log have the last 100"
        ),
        "lid jammed",
    ]
