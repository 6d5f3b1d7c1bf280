"""Stories of props appearing, changing and leaving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.propnet.hub.hub import STATUS_WAIT

from .prop import Prop


async def test_a_prop_becomes_a_device_with_its_entities(
    hass: HomeAssistant, prop: Prop
) -> None:
    """The coffin jumper announces and every entity appears under one device."""
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    assert device.name == "Coffin Jumper"
    assert device.model == "Coffin jumper"
    assert device.manufacturer == "PropNet"
    assert device.sw_version == "1.0.0"
    assert device.hw_version == "esp32"
    assert device.configuration_url == "http://192.168.1.50/"
    assert (dr.CONNECTION_NETWORK_MAC, "a4:cf:12:00:00:01") in device.connections

    entities = er.async_entries_for_device(
        er.async_get(hass), device.id, include_disabled_entities=True
    )
    assert sorted(e.entity_id for e in entities) == [
        "binary_sensor.coffin_jumper_motion",
        "button.coffin_jumper_identify",
        "button.coffin_jumper_restart",
        "button.coffin_jumper_scare",
        "event.coffin_jumper_scared",
        "light.coffin_jumper_eyes",
        "number.coffin_jumper_delay",
        "select.coffin_jumper_log_level",
        "select.coffin_jumper_mode",
        "sensor.coffin_jumper_last_restart",
        "sensor.coffin_jumper_reset_reason",
        "sensor.coffin_jumper_signal_strength",
        "sensor.coffin_jumper_triggers",
        "siren.coffin_jumper_scream",
        "switch.coffin_jumper_lid",
        "text.coffin_jumper_message",
        "update.coffin_jumper_firmware",
    ]
    rssi = er.async_get(hass).async_get("sensor.coffin_jumper_signal_strength")
    assert rssi is not None
    assert rssi.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert rssi.entity_category == "diagnostic"
    delay = er.async_get(hass).async_get("number.coffin_jumper_delay")
    assert delay is not None
    assert delay.entity_category == "config"
    identify = er.async_get(hass).async_get("button.coffin_jumper_identify")
    assert identify is not None
    assert identify.entity_category == "config"

    lid = hass.states.get("switch.coffin_jumper_lid")
    assert lid is not None
    assert lid.state == STATE_OFF
    assert lid.attributes["friendly_name"] == "Coffin Jumper Lid"
    assert lid.attributes["icon"] == "mdi:coffin"
    motion = hass.states.get("binary_sensor.coffin_jumper_motion")
    assert motion is not None
    assert motion.attributes["device_class"] == "motion"


async def test_state_follows_status(hass: HomeAssistant, prop: Prop) -> None:
    """A partial status changes only what it names."""
    prop.send("status", {"lid": True, "triggers": 4})
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_ON
    assert hass.states.get("sensor.coffin_jumper_triggers").state == "4"
    assert hass.states.get("select.coffin_jumper_mode").state == "idle"

    prop.send("telemetry", {"triggers": 5})
    await hass.async_block_till_done()
    assert hass.states.get("sensor.coffin_jumper_triggers").state == "5"


async def test_one_changed_value_writes_one_state(
    hass: HomeAssistant, prop: Prop
) -> None:
    """A status or telemetry message with one changed value writes that entity only.

    Home Assistant records every state write; a hub that rewrote the whole
    prop on each message would multiply the recorder's work by its entities.
    A write that changes nothing is a "state_reported" event: counted too.
    """
    changed = async_capture_events(hass, "state_changed")
    reported: list[Event] = []

    @callback
    def every(_: Any) -> bool:
        return True

    @callback
    def report(event: Event) -> None:
        reported.append(event)

    hass.bus.async_listen("state_reported", report, event_filter=every)

    def writes() -> list[str]:
        found = [e.data["entity_id"] for e in changed + reported]
        changed.clear()
        reported.clear()
        return found

    prop.send("status", {**prop.state, "lid": True})  # the full status, one change
    await hass.async_block_till_done()
    assert writes() == ["switch.coffin_jumper_lid"]
    prop.send("telemetry", {"triggers": 9})
    await hass.async_block_till_done()
    assert writes() == ["sensor.coffin_jumper_triggers"]
    prop.send("status", {**prop.state, "lid": True, "triggers": 9})  # no change
    await hass.async_block_till_done()
    assert writes() == []


async def test_entities_wait_for_online(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Announced but not yet online means unavailable, as the contract says."""
    prop = Prop(hass)
    prop.send("announce", prop.announcement)
    prop.send("status", prop.state)
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_UNAVAILABLE
    prop.send("availability", "online")
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_OFF


async def test_entities_appear_with_the_status_that_follows_their_announce(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A prop's entities are written once, with its values, not unknown first.

    On connecting a prop sends availability, announce and status one after
    the other; Home Assistant's history, the recorder and state triggers see
    the lid's first state as "on", not "unknown" and then "on".
    """
    changed = async_capture_events(hass, "state_changed")
    prop = Prop(hass)
    prop.state["lid"] = True
    prop.send("availability", "online")
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid") is None  # waits for the status
    prop.send("status", prop.state)
    await hass.async_block_till_done()

    lid = [e.data for e in changed if e.data["entity_id"] == "switch.coffin_jumper_lid"]
    assert len(lid) == 1
    assert lid[0]["old_state"] is None
    assert lid[0]["new_state"].state == STATE_ON
    written = [e.data["entity_id"] for e in changed]
    assert len(written) == len(set(written))  # no entity written twice


async def test_a_prop_without_a_status_still_gets_its_entities(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """An announce whose status never comes shows its entities a second later."""
    prop = Prop(hass)
    prop.send("availability", "online")
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid") is None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=STATUS_WAIT))
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_UNKNOWN
    prop.send("status", {"lid": True})
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_ON


async def test_a_prop_removed_before_its_status_leaves_nothing(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """An announce cleared at once adds no entity, then or a second later."""
    prop = Prop(hass)
    prop.send("announce", prop.announcement)
    prop.send("announce", "")
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=STATUS_WAIT))
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid") is None
    assert er.async_get(hass).async_get("switch.coffin_jumper_lid") is None


async def test_status_before_announce_is_not_lost(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Retained topics arrive in any order; an early status still counts."""
    prop = Prop(hass)
    prop.send("availability", "online")
    prop.send("status", {**prop.state, "lid": True})
    await hass.async_block_till_done()
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_ON


async def test_a_replayed_announce_changes_nothing(
    hass: HomeAssistant, prop: Prop
) -> None:
    """The same retained announce again writes no state and touches no registry."""
    before = hass.states.get("switch.coffin_jumper_lid")
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid") == before
    assert (
        hass.states.get("switch.coffin_jumper_lid").last_updated == before.last_updated
    )
    assert dr.async_get(hass).async_get(device.id) == device


async def test_a_new_announce_adds_removes_and_updates_entities(
    hass: HomeAssistant, prop: Prop
) -> None:
    """The prop's feature set changes: the device follows without a reload."""
    entities = [e for e in prop.announcement["entities"] if e["key"] != "motion"]
    for entity in entities:
        if entity["key"] == "mode":
            entity["options"] = ["idle", "armed", "show", "panic"]
        if entity["key"] == "lid":
            entity["type"] = "binary_sensor"
    entities.append({"key": "fog", "type": "switch", "name": "Fog"})
    prop.announcement["entities"] = entities
    prop.announcement["ip"] = "192.168.1.77"
    prop.send("announce", prop.announcement)
    prop.send("status", {"lid": False, "fog": True})
    await hass.async_block_till_done()

    registry = er.async_get(hass)
    assert registry.async_get("binary_sensor.coffin_jumper_motion") is None
    assert hass.states.get("binary_sensor.coffin_jumper_motion") is None
    assert (
        registry.async_get_entity_id("switch", "propnet", "propnet/coffin_jumper/lid")
        is None
    )
    assert (
        registry.async_get_entity_id(
            "binary_sensor", "propnet", "propnet/coffin_jumper/lid"
        )
        is not None
    )
    assert hass.states.get("switch.coffin_jumper_fog").state == STATE_ON
    assert hass.states.get("select.coffin_jumper_mode").attributes["options"] == [
        "idle",
        "armed",
        "show",
        "panic",
    ]
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    assert device.configuration_url == "http://192.168.1.77/"


async def test_a_renamed_entity_is_renamed_in_place(
    hass: HomeAssistant, prop: Prop
) -> None:
    """A changed name or icon updates the entity and keeps its id and history."""
    for entity in prop.announcement["entities"]:
        if entity["key"] == "lid":
            entity["name"] = "Coffin lid"
            entity["icon"] = "mdi:grave-stone"
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    state = hass.states.get("switch.coffin_jumper_lid")
    assert state.attributes["friendly_name"] == "Coffin Jumper Coffin lid"
    assert state.attributes["icon"] == "mdi:grave-stone"
    entry = er.async_get(hass).async_get("switch.coffin_jumper_lid")
    assert entry is not None
    assert entry.original_name == "Coffin lid"

    prop.announcement["name"] = "Big Coffin"
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    assert device.name == "Big Coffin"
    state = hass.states.get("switch.coffin_jumper_lid")
    assert state.attributes["friendly_name"] == "Big Coffin Coffin lid"


async def test_the_entities_propnet_knows_are_named_and_labelled_by_home_assistant(
    hass: HomeAssistant, prop: Prop, entry: MockConfigEntry
) -> None:
    """Reset reason and mode get translated names and states; a key it does not know keeps the announce's name."""
    reason = er.async_get(hass).async_get("sensor.coffin_jumper_reset_reason")
    assert reason is not None
    assert (reason.translation_key, reason.original_name) == (
        "reset_reason",
        "Reset reason",
    )
    state = hass.states.get("sensor.coffin_jumper_reset_reason")
    assert state is not None
    assert state.state == "power_on"
    assert state.attributes["device_class"] == "enum"
    mode = er.async_get(hass).async_get("select.coffin_jumper_mode")
    assert mode is not None
    assert mode.translation_key == "mode"

    # A renamed announce does not take the name from the translation; an
    # unknown key (from a newer prop) leaves the announce's name standing.
    for entity in prop.announcement["entities"]:
        if entity["key"] == "reset_reason":
            entity["name"] = "Why it restarted"
        if entity["key"] == "lid":
            entity["translation_key"] = "lid_of_the_future"
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.coffin_jumper_reset_reason")
    assert state.attributes["friendly_name"] == "Coffin Jumper Reset reason"
    lid = er.async_get(hass).async_get("switch.coffin_jumper_lid")
    assert lid is not None
    assert (lid.translation_key, lid.original_name) == (None, "Lid")

    # A malformed key makes the announce invalid: dropped and counted, the
    # prop keeps what it had.
    prop.announcement["entities"][0]["translation_key"] = "Not A Key"
    prop.send("announce", prop.announcement)
    await hass.async_block_till_done()
    assert entry.runtime_data.drops.counts["invalid"] == 1
    assert hass.states.get("switch.coffin_jumper_lid").state == "off"


async def test_the_uptime_shows_when_the_prop_last_restarted(
    hass: HomeAssistant, prop: Prop, freezer: FrozenDateTimeFactory
) -> None:
    """Readings a minute apart keep one state; a restart moves it; a bad reading changes nothing."""
    entity = "sensor.coffin_jumper_last_restart"
    freezer.move_to("2026-10-31 20:05:10+00:00")
    prop.send("telemetry", {"uptime": 310})
    await hass.async_block_till_done()
    state = hass.states.get(entity)
    assert state.state == "2026-10-31T20:00:00+00:00"
    assert state.attributes["device_class"] == "timestamp"
    assert "unit_of_measurement" not in state.attributes
    assert "state_class" not in state.attributes
    written = state.last_updated

    # A minute on, a reading that came 2 s late: the same start.
    freezer.move_to("2026-10-31 20:06:12+00:00")
    prop.send("telemetry", {"uptime": 370})
    prop.send("telemetry", {"uptime": -5})
    await hass.async_block_till_done()
    assert hass.states.get(entity).last_updated == written

    # The prop restarted a minute ago.
    freezer.move_to("2026-10-31 20:07:12+00:00")
    prop.send("telemetry", {"uptime": 60})
    await hass.async_block_till_done()
    assert hass.states.get(entity).state == "2026-10-31T20:06:12+00:00"


async def test_an_empty_announce_removes_the_prop(
    hass: HomeAssistant, prop: Prop
) -> None:
    """A prop that clears its announce is gone, device and entities."""
    prop.send("announce", "")
    await hass.async_block_till_done()
    assert (
        dr.async_get(hass).async_get_device(
            identifiers={("propnet", "propnet/coffin_jumper")}
        )
        is None
    )
    assert hass.states.get("switch.coffin_jumper_lid") is None


async def test_entities_gone_while_home_assistant_was_down_are_removed(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """After a restart the first announce also clears entities the prop dropped."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={("propnet", "propnet/coffin_jumper")},
    )
    er.async_get(hass).async_get_or_create(
        "switch",
        "propnet",
        "propnet/coffin_jumper/old_fog",
        config_entry=entry,
        device_id=device.id,
    )
    prop = Prop(hass)
    await prop.connect()
    assert (
        er.async_get(hass).async_get_entity_id(
            "switch", "propnet", "propnet/coffin_jumper/old_fog"
        )
        is None
    )
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_OFF


async def test_two_props_on_two_prefixes_stay_apart(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """A second entry follows its own prefix only."""
    from ..common import propnet_entry

    other = propnet_entry("halloween")
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    await Prop(
        hass, prefix="halloween", prop_id="ghost", name="Ghost", mac="a4:cf:12:00:00:99"
    ).connect()
    await Prop(hass).connect()
    ghost = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "halloween/ghost")}
    )
    coffin = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert ghost is not None
    assert coffin is not None
    assert ghost.config_entries == {other.entry_id}
    assert coffin.config_entries == {entry.entry_id}
    assert entry.runtime_data.props.keys() == {"coffin_jumper"}


async def test_hubs_on_nested_prefixes_keep_only_their_own_props(
    hass: HomeAssistant,
) -> None:
    """Prefixes "a" and "a/b": the device of prop x on "a/b" belongs to the second hub only."""
    from custom_components.propnet.const import DOMAIN
    from custom_components.propnet.hub.registry import Registries

    outer = Registries(hass, "outer", "a")
    inner = Registries(hass, "inner", "a/b")
    nested = {(DOMAIN, "a/b/x")}
    assert outer.prop_id_of(nested) is None
    assert inner.prop_id_of(nested) == "x"
    assert outer.prop_id_of({(DOMAIN, "a/x")}) == "x"
    assert outer.prop_id_of({("other", "a/x")}) is None
