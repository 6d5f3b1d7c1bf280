"""Stories of props going away and coming back, of events, repairs and removal."""

from __future__ import annotations

import json
import logging
from typing import Any

from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
from homeassistant.const import STATE_OFF, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, ServiceCall
from homeassistant.helpers import (
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_get_device_automations,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)

from .prop import Prop

LID = "switch.coffin_jumper_lid"


def coffin_device(hass: HomeAssistant) -> dr.DeviceEntry:
    """Return the coffin jumper's device."""
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    return device


async def test_last_will_makes_the_prop_unavailable_and_logs_once(
    hass: HomeAssistant, prop: Prop, caplog: pytest.LogCaptureFixture
) -> None:
    """Offline marks every entity unavailable; online brings them back; one log each."""
    caplog.set_level(logging.INFO, logger="custom_components.propnet")
    prop.go_offline()
    prop.go_offline()
    await hass.async_block_till_done()
    assert hass.states.get(LID).state == STATE_UNAVAILABLE
    assert hass.states.get("button.coffin_jumper_identify").state == STATE_UNAVAILABLE
    assert caplog.text.count("Prop Coffin Jumper is unavailable") == 1

    prop.send("availability", "online")
    prop.send("availability", "online")
    await hass.async_block_till_done()
    assert hass.states.get(LID).state == STATE_OFF
    assert caplog.text.count("Prop Coffin Jumper is available again") == 1


async def test_other_availability_payloads_are_ignored(
    hass: HomeAssistant, prop: Prop
) -> None:
    """Only online and offline count, as with Home Assistant's own MQTT."""
    prop.send("availability", "sleeping")
    await hass.async_block_till_done()
    assert hass.states.get(LID).state == STATE_OFF
    hub = hass.config_entries.async_entries("propnet")[0].runtime_data
    assert hub.drops.counts["invalid"] == 1


async def test_broker_loss_makes_everything_unavailable(
    hass: HomeAssistant, prop: Prop
) -> None:
    """Without the broker nothing is known; when it returns, state is back."""
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()
    assert hass.states.get(LID).state == STATE_UNAVAILABLE
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await hass.async_block_till_done()
    assert hass.states.get(LID).state == STATE_OFF


async def test_events_fire_the_entity_the_bus_and_device_triggers(
    hass: HomeAssistant, prop: Prop
) -> None:
    """A scare is an event entity state, a bus event, and an automation trigger."""
    device = coffin_device(hass)
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device.id
    )
    ours = sorted(
        (t["subtype"], t["type"]) for t in triggers if t["domain"] == "propnet"
    )
    assert ours == [("scared", "abort"), ("scared", "scare")]

    calls: list[ServiceCall] = []
    hass.services.async_register("test", "record", calls.append)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "trigger": {
                    "platform": "device",
                    "domain": "propnet",
                    "device_id": device.id,
                    "type": "scare",
                    "subtype": "scared",
                },
                "action": {
                    "service": "test.record",
                    "data": {"victims": "{{ trigger.event.data.data.victims }}"},
                },
            }
        },
    )
    bus_events = async_capture_events(hass, "propnet_event")
    prop.fire("scared", "scare", {"victims": 3})
    prop.fire("scared", "abort")
    await hass.async_block_till_done()

    assert [e.data["type"] for e in bus_events] == ["scare", "abort"]
    assert bus_events[0].data == {
        "device_id": device.id,
        "prop_id": "coffin_jumper",
        "key": "scared",
        "type": "scare",
        "data": {"victims": 3},
    }
    assert len(calls) == 1
    assert calls[0].data["victims"] == 3
    state = hass.states.get("event.coffin_jumper_scared")
    assert state.attributes["event_type"] == "abort"
    assert state.attributes["event_types"] == ["scare", "abort"]


async def test_a_prop_that_drops_and_returns_shows_no_event_that_did_not_happen(
    hass: HomeAssistant, prop: Prop
) -> None:
    """Offline and back: the event entity keeps its last event and writes no new state."""
    changes = async_capture_events(hass, "state_changed")
    prop.fire("scared", "scare")
    await hass.async_block_till_done()
    fired = hass.states.get("event.coffin_jumper_scared")
    assert fired is not None
    prop.go_offline()
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == "unavailable"
    await prop.connect()
    assert hass.states.get("switch.coffin_jumper_lid").state == "off"
    scared = [e for e in changes if e.data["entity_id"] == "event.coffin_jumper_scared"]
    assert [e.data["new_state"].state for e in scared] == [fired.state]
    assert hass.states.get("event.coffin_jumper_scared").state == fired.state


async def test_a_trigger_for_an_event_the_prop_lacks_is_refused(
    hass: HomeAssistant, prop: Prop, caplog: pytest.LogCaptureFixture
) -> None:
    """Validation names the unknown event; the automation does not load."""
    device = coffin_device(hass)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "id": "bad",
                "trigger": {
                    "platform": "device",
                    "domain": "propnet",
                    "device_id": device.id,
                    "type": "dance",
                    "subtype": "scared",
                },
                "action": {"service": "test.record"},
            }
        },
    )
    await hass.async_block_till_done()
    assert "scared dance is not an event of this prop" in caplog.text


async def test_a_newer_protocol_raises_a_repair_that_clears(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A prop speaking version 2 is explained in Repairs, and the issue goes on v1."""
    prop = Prop(hass)
    prop.announcement["v"] = 2
    await prop.connect()
    issue_id = f"unsupported_version_{entry.entry_id}_coffin_jumper"
    issue = ir.async_get(hass).async_get_issue("propnet", issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"prop": "coffin_jumper", "version": "2"}
    assert hass.states.get(LID) is None

    prop.announcement["v"] = 1
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue("propnet", issue_id) is None
    assert hass.states.get(LID) is not None


async def test_two_props_with_one_id_raise_a_repair(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop
) -> None:
    """Announces flipping between two MACs mean two boards share an id."""
    issue_id = f"duplicate_id_{entry.entry_id}_coffin_jumper"
    for mac in ("a4:cf:12:00:00:02", "a4:cf:12:00:00:01"):
        prop.announcement["mac"] = mac
        prop.send("announce", prop.announcement)
        await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue("propnet", issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "prop": "coffin_jumper",
        "mac_a": "a4:cf:12:00:00:02",
        "mac_b": "a4:cf:12:00:00:01",
    }


async def test_a_replaced_board_raises_no_repair(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop
) -> None:
    """One MAC change is a new board, not a conflict."""
    prop.announcement["mac"] = "a4:cf:12:00:00:02"
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    assert not ir.async_get(hass).issues


async def test_deleting_the_device_clears_its_retained_topics(
    hass: HomeAssistant,
    prop: Prop,
    mqtt_mock: MqttMockHAClient,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A deleted prop does not come back from its retained announce."""
    assert await async_setup_component(hass, "config", {})
    device = coffin_device(hass)
    entry_id = next(iter(device.config_entries))
    client = await hass_ws_client(hass)
    mqtt_mock.async_publish.reset_mock()
    response = await client.remove_device(device.id, entry_id)
    assert response["success"]
    await hass.async_block_till_done()
    published = {
        (c.args[0], c.args[1], c.args[3])
        for c in mqtt_mock.async_publish.call_args_list
    }
    assert ("propnet/coffin_jumper/announce", b"", True) in published
    assert ("propnet/coffin_jumper/status", b"", True) in published
    assert dr.async_get(hass).async_get(device.id) is None
    assert hass.states.get(LID) is None


async def test_diagnostics_count_drops_and_hide_addresses(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    prop: Prop,
    hass_client: ClientSessionGenerator,
) -> None:
    """Diagnostics tell what each prop said and what was dropped, minus MAC and IP."""
    prop.send("status", "not json")
    prop.send("status", {"ghost": 1})
    await hass.async_block_till_done()
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, entry
    )
    assert diagnostics["prefix"] == "propnet"
    assert diagnostics["broker_connected"] is True
    assert diagnostics["dropped"] == {
        "total": 2,
        "by_reason": {"invalid_json": 1, "unknown_key": 1},
    }
    coffin = diagnostics["props"]["coffin_jumper"]
    assert coffin["online"] is True
    assert coffin["announce"]["mac"] == "**REDACTED**"
    assert coffin["announce"]["ip"] == "**REDACTED**"
    assert coffin["values"]["lid"] is False
    assert json.dumps(diagnostics)

    device_diagnostics = await get_diagnostics_for_device(
        hass, hass_client, entry, coffin_device(hass)
    )
    assert device_diagnostics["prop_id"] == "coffin_jumper"
    assert device_diagnostics["announce"]["name"] == "Coffin Jumper"


async def test_diagnostics_of_a_device_the_hub_forgot(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A device left from before a restart, not yet announced, has no prop data."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("propnet", "propnet/old")}
    )
    assert await get_diagnostics_for_device(hass, hass_client, entry, device) == {
        "prop_id": None
    }


async def test_bus_event_names_no_device_before_it_exists(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """An event from a prop that has not announced is dropped, not fired."""
    events: list[Event] = async_capture_events(hass, "propnet_event")
    Prop(hass).fire("scared", "scare")
    await hass.async_block_till_done()
    assert events == []
    hub = entry.runtime_data
    assert hub.drops.counts["unknown_prop"] == 1
