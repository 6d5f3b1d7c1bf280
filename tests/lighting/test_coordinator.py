"""Stories of show lighting inside Home Assistant: set-up, commands, restarts, outputs."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
import contextlib
from datetime import timedelta
import json
import os
from pathlib import Path
import time
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.propnet.const import DOMAIN, LIGHTING_DEFAULTS
from custom_components.propnet.lighting.coordinator import (
    COUNTERS_COOLDOWN,
    LOOK_COOLDOWN,
    SEQ_BLOCK,
)
from custom_components.propnet.protocol.commands import new_ulid
from tests.common import open_lighting_settings, sectioned
from tests.harness.olad import Olad
from tests.harness.procs import wait_until
from tests.harness.pty_widget import PtyWidget

LIGHT = "light.show_lighting"
# What a hub that never applied a command publishes (its "ts" is the clock's).
FRESH = {"r": 0, "g": 0, "b": 0, "seq": 0, "ts": 0, "src": "hub", "cmdId": None}


def lighting_entry(**options: Any) -> MockConfigEntry:
    """Return a lighting entry on the default base topic."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Show lighting",
        unique_id="lighting:v1/demo/rgb",
        data={"kind": "lighting", "base": "v1/demo/rgb"},
        options={**LIGHTING_DEFAULTS, **options},
    )


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up ``entry``."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def published(mqtt_mock: MqttMockHAClient, topic: str) -> list[tuple[Any, bool]]:
    """Return (payload, retain) of everything published on ``topic``."""
    return [
        (c.args[1], c.args[3])
        for c in mqtt_mock.async_publish.call_args_list
        if c.args[0] == topic
    ]


def all_states(mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    """Return every RGB state published, decoded."""
    return [json.loads(p) for p, _ in published(mqtt_mock, "v1/demo/rgb/state")]


def states(mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    """Return the RGB states commands made (not the hub's start-up republish)."""
    return [s for s in all_states(mqtt_mock) if s["cmdId"] is not None]


def send(
    hass: HomeAssistant,
    r: int,
    g: int,
    b: int,
    cmd_id: str | None = None,
    src: str = "knob",
) -> str:
    """Publish a sender's command; return its cmdId."""
    cmd_id = cmd_id or new_ulid()
    async_fire_mqtt_message(
        hass,
        "v1/demo/rgb/cmd",
        json.dumps({"cmdId": cmd_id, "src": src, "r": r, "g": g, "b": b}),
    )
    return cmd_id


async def settle(hass: HomeAssistant) -> None:
    """Let the engine apply what is queued."""
    for _ in range(3):
        await hass.async_block_till_done()


async def caught_up(hass: HomeAssistant) -> None:
    """Let the engine apply what is queued and the throttled entities catch up."""
    await settle(hass)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await settle(hass)


async def test_user_sets_up_show_lighting(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The menu's second choice asks for the base topic and starts the engine."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "lighting"}
    )
    assert result["step_id"] == "lighting"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"base": "v1/demo/#"}
    )
    assert result["errors"] == {"base": "invalid_base"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"base": "v1/demo/rgb"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Show lighting"
    assert result["options"] == LIGHTING_DEFAULTS
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert hass.states.get(LIGHT).state == "off"
    assert ("online", True) in published(mqtt_mock, "v1/devices/hub/state")
    # A fresh hub publishes black at once, so receivers start from a state.
    (fresh,) = all_states(mqtt_mock)
    assert fresh | {"ts": 0} == FRESH
    assert fresh["ts"] > 0

    again = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    again = await hass.config_entries.flow.async_configure(
        again["flow_id"], {"next_step_id": "lighting"}
    )
    again = await hass.config_entries.flow.async_configure(
        again["flow_id"], {"base": "v1/demo/rgb"}
    )
    assert again["reason"] == "already_configured"


async def test_a_knob_changes_the_colour_for_everyone(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A sender's command becomes the retained state, with seq, ts and source."""
    await start(hass, lighting_entry())
    cmd_id = send(hass, 300, 20, -4)
    await settle(hass)
    (state,) = states(mqtt_mock)
    assert {k: state[k] for k in ("r", "g", "b", "seq", "src", "cmdId")} == {
        "r": 255,
        "g": 20,
        "b": 0,
        "seq": 1,
        "src": "knob",
        "cmdId": cmd_id,
    }
    assert state["ts"] > 1_700_000_000_000
    assert published(mqtt_mock, "v1/demo/rgb/state")[0][1] is True  # retained
    light = hass.states.get(LIGHT)
    assert light.state == "on"
    assert light.attributes["rgb_color"] == (255, 20, 0)
    assert light.attributes["seq"] == 1


async def test_a_broker_that_lost_its_messages_gets_the_state_again(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """After the MQTT connection comes back, the hub republishes online and the state."""
    from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
    from homeassistant.helpers.dispatcher import async_dispatcher_send

    await start(hass, lighting_entry())
    send(hass, 1, 2, 3)
    await settle(hass)
    assert len(states(mqtt_mock)) == 1
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    await settle(hass)
    assert len(states(mqtt_mock)) == 1
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, True)
    await settle(hass)
    again = states(mqtt_mock)
    assert len(again) == 2
    assert again[-1] == again[0]
    assert published(mqtt_mock, "v1/devices/hub/state")[-1] == ("online", True)


async def test_repeats_and_garbage_change_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A replayed cmdId is deduplicated, a bad command rejected; the counters say so."""
    await start(hass, lighting_entry())
    cmd_id = send(hass, 1, 2, 3)
    send(hass, 9, 9, 9, cmd_id=cmd_id)
    async_fire_mqtt_message(
        hass, "v1/demo/rgb/cmd", '{"src": "knob", "r": 1, "g": 1, "b": 1}'
    )
    async_fire_mqtt_message(hass, "v1/demo/rgb/cmd", "not json")
    await caught_up(hass)
    assert [s["seq"] for s in states(mqtt_mock)] == [1]
    assert hass.states.get("sensor.show_lighting_commands_processed").state == "1"
    assert hass.states.get("sensor.show_lighting_commands_deduplicated").state == "1"
    assert hass.states.get("sensor.show_lighting_commands_rejected").state == "2"
    registry = er.async_get(hass)
    queue = registry.async_get("sensor.show_lighting_queue_depth")
    assert queue is not None
    assert queue.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_a_flood_of_commands_writes_few_states_and_ends_true(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Every command is published; the recorder sees the light and counters throttled."""
    await start(hass, lighting_entry())
    await caught_up(hass)
    written = async_capture_events(hass, "state_changed")
    began = time.monotonic()
    for n in range(200):
        send(hass, n, 0, 0)
        if n % 20 == 19:
            await settle(hass)  # ten batches, as commands trickle in
    await settle(hass)
    elapsed = time.monotonic() - began
    assert [s["seq"] for s in states(mqtt_mock)] == list(range(1, 201))
    by_entity = Counter(e.data["entity_id"] for e in written)
    # At once for the first batch, then at most once per cooldown (the loop's
    # own clock runs while the test does, so the bound follows it).
    assert 1 <= by_entity[LIGHT] <= 2 + elapsed / LOOK_COOLDOWN
    assert by_entity[LIGHT] < 20
    counter = "sensor.show_lighting_commands_processed"
    assert 1 <= by_entity[counter] <= 2 + elapsed / COUNTERS_COOLDOWN
    await caught_up(hass)
    assert hass.states.get(LIGHT).attributes["seq"] == 200
    assert hass.states.get(LIGHT).attributes["rgb_color"] == (255, 0, 0)
    assert hass.states.get("sensor.show_lighting_commands_processed").state == "200"


async def test_the_home_assistant_light_is_one_more_sender(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Turning the light on sends a command through the same queue; off sends black."""
    await start(hass, lighting_entry())
    await hass.services.async_call(
        "light",
        "turn_on",
        {"entity_id": LIGHT, "rgb_color": [255, 0, 0], "brightness": 128},
        blocking=True,
    )
    await settle(hass)
    assert states(mqtt_mock)[-1] | {"ts": 0, "cmdId": ""} == {
        "r": 128,
        "g": 0,
        "b": 0,
        "seq": 1,
        "ts": 0,
        "src": "home-assistant",
        "cmdId": "",
    }
    assert hass.states.get(LIGHT).attributes["brightness"] == 128
    await hass.services.async_call(
        "light", "turn_off", {"entity_id": LIGHT}, blocking=True
    )
    await caught_up(hass)
    assert (states(mqtt_mock)[-1]["r"], states(mqtt_mock)[-1]["seq"]) == (0, 2)
    assert hass.states.get(LIGHT).state == "off"
    await hass.services.async_call(
        "light", "turn_on", {"entity_id": LIGHT}, blocking=True
    )
    await settle(hass)
    assert (states(mqtt_mock)[-1]["r"], states(mqtt_mock)[-1]["g"]) == (
        255,
        0,
    )  # last colour, full


async def test_a_hub_killed_between_saves_goes_on_above_every_seq(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """Saved state says seq 10, but seq up to 1010 was reserved: go on from 1010."""
    entry = lighting_entry()
    key = f"propnet.lighting.{entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {
            "state": {
                "r": 5,
                "g": 5,
                "b": 5,
                "seq": 10,
                "ts": 1,
                "src": "knob",
                "cmd_id": new_ulid(),
            }
        },
    }
    hass_storage[f"{key}.seq"] = {
        "version": 1,
        "key": f"{key}.seq",
        "data": {"reserved": 1010},
    }
    await start(hass, entry)
    (republished,) = all_states(mqtt_mock)
    assert (republished["r"], republished["seq"]) == (5, 1010)
    assert hass_storage[f"{key}.seq"]["data"] == {"reserved": 2010}
    send(hass, 1, 2, 3)
    await settle(hass)
    assert [s["seq"] for s in all_states(mqtt_mock)] == [1010, 1011]


async def test_seq_waits_for_its_reserve(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """Past the reserved seq nothing is published until more is saved, and none is lost."""
    entry = await start(hass, lighting_entry())
    coordinator = entry.runtime_data
    key = f"propnet.lighting.{entry.entry_id}.seq"
    assert hass_storage[key]["data"] == {"reserved": SEQ_BLOCK}
    for n in range(SEQ_BLOCK + 300):
        send(hass, n % 256, 0, 0)
        if n % 100 == 99:
            await settle(hass)
    await caught_up(hass)
    seqs = [s["seq"] for s in states(mqtt_mock)]
    assert seqs == list(range(1, SEQ_BLOCK + 301))
    assert hass_storage[key]["data"]["reserved"] >= SEQ_BLOCK + 300
    assert coordinator.engine.seq_ceiling == hass_storage[key]["data"]["reserved"]
    await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[key]["data"] == {"reserved": SEQ_BLOCK + 300}


async def test_a_reload_keeps_seq_memory_and_colour(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """After a reload (an options change, a reconfigure): the state is republished, seq goes on, old cmdIds are still known.

    Home Assistant does not unload entries when it stops; a real restart is
    the real hass of tests/e2e/test_lighting.py, and the stop event alone is
    test_each_lighting_entry_says_offline_on_its_own_topic.
    """
    entry = await start(hass, lighting_entry())
    first = send(hass, 10, 20, 30)
    send(hass, 40, 50, 60)
    await settle(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert ("offline", True) in published(mqtt_mock, "v1/devices/hub/state")
    mqtt_mock.async_publish.reset_mock()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    republished = states(mqtt_mock)
    assert [(s["r"], s["seq"]) for s in republished] == [(40, 2)]
    assert hass.states.get(LIGHT).attributes["rgb_color"] == (
        170,
        212,
        255,
    )  # 40,50,60 at full
    send(hass, 1, 1, 1, cmd_id=first)  # replayed from before the restart
    send(hass, 7, 7, 7)
    await settle(hass)
    assert [(s["r"], s["seq"]) for s in states(mqtt_mock)] == [(40, 2), (7, 3)]


async def test_options_check_fixtures_and_apply_at_once(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A bad fixture list is explained; a good one reloads with a light per fixture."""
    entry = await start(hass, lighting_entry())
    # The options flow reloads by itself: an update listener beside the
    # reconfigure step's reload is an error from Home Assistant 2026.12.
    assert entry.update_listeners == []
    menu = await hass.config_entries.options.async_init(entry.entry_id)
    assert menu["menu_options"] == [
        "settings",
        "add_fixture",
        "remove_fixture",
        "add_output",
    ]
    result = await open_lighting_settings(hass, entry.entry_id)
    assert result["step_id"] == "settings"
    # The form comes in sections: fixtures, Enttec, OLA, network, inputs and
    # a collapsed advanced one.
    sections = result["data_schema"].schema
    assert [str(key) for key in sections] == [
        "patch",
        "enttec",
        "ola",
        "network",
        "inputs",
        "advanced",
    ]
    assert [v.options["collapsed"] for v in sections.values()] == [
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        sectioned({**LIGHTING_DEFAULTS, "fixtures": "Main, 1, rgb\nWash, 2, rgb"}),
    )
    assert result["errors"] == {"base": "invalid_fixtures"}
    assert (
        "Wash shares channels with Main" in result["description_placeholders"]["error"]
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        sectioned({**LIGHTING_DEFAULTS, "fixtures": "Main, 1, rgb\nWash, 4, rgbw"}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["fixtures"] == "Main, 1, rgb\nWash, 4, rgbw"
    wash = "light.show_lighting_wash"
    assert hass.states.get(wash).state == "off"
    await hass.services.async_call(
        "light",
        "turn_on",
        {"entity_id": wash, "rgb_color": [0, 0, 255], "brightness": 200},
        blocking=True,
    )
    await hass.async_block_till_done()
    state = hass.states.get(wash)
    assert (
        state.state,
        state.attributes["brightness"],
        state.attributes["rgb_color"],
    ) == ("on", 200, (0, 0, 255))
    coordinator = entry.runtime_data
    assert coordinator.universe.frame(1e12)[3:7] == bytes([0, 0, 200, 0])
    await hass.services.async_call(
        "light", "turn_off", {"entity_id": wash}, blocking=True
    )
    await caught_up(hass)  # the second write within the light's 0.1 s comes after it
    assert hass.states.get(wash).state == "off"

    # A port set once can be cleared again: a cleared field means no output.
    answer = {
        k: v
        for k, v in entry.options.items()
        if k not in {"enttec_port", "ola_url", "input_port"}
    }
    result = await open_lighting_settings(hass, entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], sectioned({**answer, "enttec_port": "/dev/null-widget"})
    )
    await hass.async_block_till_done()
    assert entry.options["enttec_port"] == "/dev/null-widget"
    result = await open_lighting_settings(hass, entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], sectioned(answer)
    )
    await hass.async_block_till_done()
    assert entry.options["enttec_port"] == ""


async def test_a_fixture_and_an_output_are_added_and_removed_through_their_forms(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """No line to type: a mover on universe 2 and an Art-Net node, each from its form; a mistake is explained."""
    entry = await start(hass, lighting_entry())
    options = hass.config_entries.options

    async def pick(step: str) -> Any:
        menu = await options.async_init(entry.entry_id)
        return await options.async_configure(menu["flow_id"], {"next_step_id": step})

    form = await pick("add_fixture")
    result = await options.async_configure(
        form["flow_id"],
        {"name": "Par", "universe": 1, "channel": 4, "kind": "rgbw", "fine": True},
    )
    assert result["errors"] == {"base": "invalid_fixtures"}
    assert "only a dimmer channel" in result["description_placeholders"]["error"]
    result = await options.async_configure(
        form["flow_id"],
        {
            "name": "Mover",
            "universe": 2,
            "channel": 1,
            "kind": "channels",
            "channel_names": "pan, tilt",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["fixtures"] == "Main, 1, rgb\nMover, 2/1, channels, pan, tilt"
    assert hass.states.get("number.show_lighting_mover_pan") is not None

    form = await pick("add_output")
    result = await options.async_configure(
        form["flow_id"],
        {"protocol": "artnet", "universes": "1", "fps": 40, "priority": 100},
    )
    assert result["errors"] == {"base": "invalid_network_outputs"}
    result = await options.async_configure(
        form["flow_id"],
        {
            "protocol": "artnet",
            "address": "127.0.0.1",
            "universes": "1, 2",
            "fps": 30,
            "priority": 100,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["network_outputs"] == "artnet 127.0.0.1 universes=1,2 fps=30"
    menu = await options.async_init(entry.entry_id)
    assert "remove_output" in menu["menu_options"]
    options.async_abort(menu["flow_id"])

    form = await pick("remove_fixture")
    result = await options.async_configure(
        form["flow_id"], {"fixtures": ["Mover, 2/1, channels, pan, tilt"]}
    )
    await hass.async_block_till_done()
    assert entry.options["fixtures"] == "Main, 1, rgb"
    assert hass.states.get("number.show_lighting_mover_pan") is None
    form = await pick("remove_output")
    await options.async_configure(
        form["flow_id"], {"outputs": ["artnet 127.0.0.1 universes=1,2 fps=30"]}
    )
    await hass.async_block_till_done()
    assert entry.options["network_outputs"] == ""
    # The rest of the options are the ones the entry had.
    assert entry.options["queue_size"] == LIGHTING_DEFAULTS["queue_size"]


async def test_lighting_entries_have_no_other_options(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A props hub offers no options; lighting does."""
    from tests.common import propnet_entry

    props = propnet_entry()
    props.add_to_hass(hass)
    assert not props.supports_options
    assert lighting_entry().supports_options is not False


@pytest.fixture
def widget(tmp_path: Path) -> Iterator[PtyWidget]:
    """Make a fake DMX USB Pro on a real pseudo-terminal."""
    fake = PtyWidget(tmp_path / "usb-ENTTEC_DMX_USB_PRO_EN000001-if00-port0")
    yield fake
    fake.close()


async def test_the_colour_reaches_a_dmx_usb_pro(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    widget: PtyWidget,
    hass_client: ClientSessionGenerator,
) -> None:
    """With the Enttec port set, each state is a DMX frame on the serial line."""
    entry = await start(hass, lighting_entry(enttec_port=str(widget.link)))
    await hass.async_add_executor_job(
        wait_until,
        lambda: (
            hass.states.get("sensor.show_lighting_enttec_output").state == "connected"
        ),
        10,
        "the Enttec output connecting",
    )
    send(hass, 12, 34, 56)
    await settle(hass)
    frames = await hass.async_add_executor_job(
        wait_until,
        lambda: [f for _, f in widget.received() if f[1:4] == bytes([12, 34, 56])],
        5,
        "the colour on the DMX line",
    )
    assert frames[0][0] == 0
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["outputs"] == {"enttec": "connected"}
    assert diagnostics["state"]["r"] == 12
    assert diagnostics["fixtures"] == [
        {"name": "Main", "universe": 1, "start": 1, "end": 3, "kind": "rgb"}
    ]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_console_drives_olad_and_olad_outages_are_repairs(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    olad: Olad,
    tmp_path: Path,
) -> None:
    """DMX console in, OLA out; OLA down for a while is a repair that clears."""
    master, slave = os.openpty()
    link = tmp_path / "usb-SparkFun_DMX_shield"
    link.symlink_to(os.ttyname(slave))
    try:
        with patch("custom_components.propnet.lighting.rig.OLA_REPAIR_AFTER", 0.5):
            entry = await start(
                hass,
                lighting_entry(ola_url=olad.url, input_port=str(link), input_channel=1),
            )
            await until(
                lambda: (
                    hass.states.get("sensor.show_lighting_dmx_input").state
                    == "connected"
                )
            )
            await until(
                lambda: (
                    hass.states.get("sensor.show_lighting_ola_output").state
                    == "connected"
                )
            )
            os.write(master, b"DMX: read value from channel 1: 99\r\nbad line\r\n")
            await until(lambda: states(mqtt_mock) and states(mqtt_mock)[-1]["r"] == 99)
            assert states(mqtt_mock)[-1]["src"] == "dmx-input"
            await until(lambda: olad.dmx()[:3] == [99, 0, 0])

            olad.stop()
            send(hass, 5, 6, 7)
            await until(
                lambda: (
                    hass.states.get("sensor.show_lighting_ola_output").state
                    == "unreachable"
                )
            )
            issue_id = f"ola_unreachable_{entry.entry_id}"
            await until(
                lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
            )
            olad.start()
            await until(lambda: olad.dmx()[:3] == [5, 6, 7], 20)
            await until(
                lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
            )
            diagnostics = entry.runtime_data.diagnostics()
            assert diagnostics["dmx_input"] == {
                "lines": 2,
                "malformed": 1,
                "forwarded": 1,
            }
            assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        for fd in (master, slave):
            with contextlib.suppress(OSError):
                os.close(fd)


async def until(check: Any, seconds: float = 10) -> None:
    """Wait in the event loop until ``check()`` is true."""
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - other processes and threads change it
            await asyncio.sleep(0.05)


async def test_old_web_clients_keep_working(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """GET and POST /api/propnet/rgb with a login, and a websocket of every change."""
    assert await async_setup_component(hass, "http", {})
    assert await async_setup_component(hass, "websocket_api", {})
    assert await async_setup_component(hass, DOMAIN, {})
    entry = lighting_entry()
    entry.add_to_hass(hass)
    client = await hass_client()
    response = await client.get("/api/propnet/rgb")
    assert response.status == 404
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    anonymous = await hass_client_no_auth()
    assert (await anonymous.get("/api/propnet/rgb")).status == 401

    ws = await hass_ws_client(hass)
    await ws.send_json({"id": 1, "type": "propnet/rgb/subscribe"})
    assert (await ws.receive_json())["success"]
    first = await ws.receive_json()
    assert first["event"] | {"ts": 0} == {"type": "state", **FRESH}

    cmd_id = new_ulid()
    response = await client.post(
        "/api/propnet/rgb",
        json={"cmdId": cmd_id, "src": "ui", "r": 64, "g": 32, "b": 128},
    )
    assert response.status == 202
    await settle(hass)
    state = await (await client.get("/api/propnet/rgb?base=v1/demo/rgb")).json()
    assert (state["r"], state["g"], state["b"], state["seq"], state["cmdId"]) == (
        64,
        32,
        128,
        1,
        cmd_id,
    )
    change = await ws.receive_json()
    assert change["event"]["seq"] == 1
    assert change["event"]["src"] == "ui"

    response = await client.post(
        "/api/propnet/rgb", json={"src": "ui", "r": 1, "g": 1, "b": 1}
    )
    assert response.status == 400
    assert (await response.json())["message"] == "invalid command"
    assert (await client.get("/api/propnet/rgb?base=other")).status == 404
    rejected = entry.runtime_data.engine.stats.by_reason.get("too_large", 0)

    async def chunks() -> Any:
        # No Content-Length: the hub must stop reading by itself.
        for _ in range(64):
            yield b" " * 1024

    for body in (b" " * 5000, chunks()):
        response = await client.post("/api/propnet/rgb", data=body)
        assert response.status == 413
        assert (await response.json())["message"] == "a command has at most 4096 bytes"
    stats = entry.runtime_data.engine.stats
    assert stats.by_reason["too_large"] == rejected + 2

    await ws.send_json({"id": 2, "type": "propnet/rgb/subscribe", "base": "other"})
    assert (await ws.receive_json())["error"]["code"] == "not_found"


async def test_user_moves_lighting_to_another_base_topic(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Reconfigure checks the topic, refuses another entry's, and moves this one."""
    entry = await start(hass, lighting_entry())
    other = MockConfigEntry(
        domain=DOMAIN,
        unique_id="lighting:v1/stage/rgb",
        data={"kind": "lighting", "base": "v1/stage/rgb"},
    )
    other.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_lighting"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"base": "v1/#"}
    )
    assert result["errors"] == {"base": "invalid_base"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"base": "v1/stage/rgb"}
    )
    assert result["reason"] == "already_configured"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"base": "v1/hall/rgb"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["base"] == "v1/hall/rgb"
    assert entry.unique_id == "lighting:v1/hall/rgb"
    assert entry.title == "Show lighting (v1/hall/rgb)"
    send(hass, 1, 2, 3)
    await settle(hass)
    assert states(mqtt_mock) == []  # the old base topic is no longer served


@pytest.mark.parametrize(
    ("base", "before", "after"),
    [
        ("v1/demo/rgb", "PropNet lighting", "Show lighting"),
        (
            "v1/hall/rgb",
            "PropNet lighting (v1/hall/rgb)",
            "Show lighting (v1/hall/rgb)",
        ),
        ("v1/demo/rgb", "Hall DMX", "Hall DMX"),
    ],
)
async def test_an_older_lighting_entry_is_called_show_lighting(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    base: str,
    before: str,
    after: str,
) -> None:
    """The integrations page names it as the device and the docs do; a chosen name stays."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=before,
        unique_id=f"lighting:{base}",
        data={"kind": "lighting", "base": base},
        options=dict(LIGHTING_DEFAULTS),
        version=1,
        minor_version=1,
    )
    await start(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.title, entry.minor_version) == (after, 2)


async def test_a_failing_reserve_save_is_retried(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """A disk that refuses the reserve once holds commands back; none is lost."""
    entry = await start(hass, lighting_entry())
    coordinator = entry.runtime_data
    save = coordinator.seq_store.async_save
    failures = [OSError("disk full")]

    async def flaky(data: dict[str, int]) -> None:
        if failures:
            raise failures.pop()
        await save(data)

    with patch.object(coordinator.seq_store, "async_save", flaky):
        for n in range(SEQ_BLOCK + 10):
            send(hass, n % 256, 0, 0)
            if n % 100 == 99:
                await settle(hass)
        # The retry waits a second of real time.
        for _ in range(100):
            await settle(hass)
            if len(states(mqtt_mock)) == SEQ_BLOCK + 10:
                break
            await asyncio.sleep(0.05)
    assert failures == []
    assert [s["seq"] for s in states(mqtt_mock)] == list(range(1, SEQ_BLOCK + 11))


async def test_each_lighting_entry_says_offline_on_its_own_topic(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Two channels: unloading one leaves the other online; stopping Home Assistant says offline for both."""
    from homeassistant.const import EVENT_HOMEASSISTANT_STOP

    default = await start(hass, lighting_entry())
    stage = await start(
        hass,
        MockConfigEntry(
            domain=DOMAIN,
            title="Stage",
            unique_id="lighting:v1/stage/rgb",
            data={"kind": "lighting", "base": "v1/stage/rgb"},
            options=dict(LIGHTING_DEFAULTS),
        ),
    )
    hub, stage_hub = "v1/devices/hub/state", "v1/devices/hub.v1.stage.rgb/state"
    assert published(mqtt_mock, hub) == [("online", True)]
    assert published(mqtt_mock, stage_hub) == [("online", True)]
    assert await hass.config_entries.async_unload(stage.entry_id)
    assert published(mqtt_mock, stage_hub)[-1] == ("offline", True)
    assert published(mqtt_mock, hub) == [("online", True)]
    assert await hass.config_entries.async_setup(stage.entry_id)
    await hass.async_block_till_done()
    mqtt_mock.async_publish.reset_mock()
    # Home Assistant does not unload entries when it stops.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert published(mqtt_mock, hub) == [("offline", True)]
    assert published(mqtt_mock, stage_hub) == [("offline", True)]
    assert default.state is ConfigEntryState.LOADED


async def test_a_set_up_that_fails_part_way_leaves_nothing_running(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    widget: PtyWidget,
    hass_storage: dict[str, Any],
) -> None:
    """The sACN input fails after the Enttec thread and the subscriptions started: all undone."""
    import threading

    from homeassistant.const import EVENT_HOMEASSISTANT_STOP

    def propnet_threads() -> set[str]:
        # Only ours: Home Assistant's executor may start a worker meanwhile.
        return {t.name for t in threading.enumerate() if t.name.startswith("propnet")}

    stop_listeners = hass.bus.async_listeners().get(EVENT_HOMEASSISTANT_STOP, 0)
    threads = propnet_threads()
    entry = lighting_entry(enttec_port=str(widget.link))
    entry.add_to_hass(hass)
    with patch(
        "custom_components.propnet.lighting.rig.Rig.async_start_input",
        side_effect=RuntimeError("boom"),
    ):
        assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert hass.bus.async_listeners().get(EVENT_HOMEASSISTANT_STOP, 0) == stop_listeners
    await hass.async_add_executor_job(
        wait_until,
        lambda: propnet_threads() <= threads,
        5,
        "the Enttec thread ending",
    )
    # A command now reaches no engine: the subscription went with the set-up.
    before = len(states(mqtt_mock))
    send(hass, 1, 2, 3)
    await hass.async_block_till_done()
    assert len(states(mqtt_mock)) == before


async def test_a_set_up_that_fails_before_reading_the_saved_state_keeps_it(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """Storage unreadable at start: the set-up fails and the saved colour and seq stay."""
    entry = lighting_entry()
    key = f"propnet.lighting.{entry.entry_id}"
    saved = {"state": {**FRESH, "r": 7, "seq": 41, "cmd_id": None}, "dedupe": []}
    hass_storage[key] = {"version": 1, "key": key, "data": saved}
    entry.add_to_hass(hass)
    with patch(
        "homeassistant.helpers.storage.Store.async_load",
        side_effect=OSError("disk gone"),
    ):
        assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[key]["data"] == saved


async def test_unloading_while_olad_is_down_leaves_no_repair_timer(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, socket_enabled: None
) -> None:
    """OLA unreachable starts the repair's clock; unloading stops it (the test's teardown checks no timer lingers)."""
    from tests.harness.procs import free_port

    entry = await start(hass, lighting_entry(ola_url=f"http://127.0.0.1:{free_port()}"))
    await until(
        lambda: (
            hass.states.get("sensor.show_lighting_ola_output").state == "unreachable"
        )
    )
    rig = entry.runtime_data.rig
    assert rig._ola_timer is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert rig._ola_timer is None


async def test_deleting_show_lighting_deletes_its_saved_state(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """A user deletes show lighting: its saved colour and reserved seq do not stay behind for nothing."""
    entry = await start(hass, lighting_entry())
    send(hass, 1, 2, 3)
    await settle(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    key = f"propnet.lighting.{entry.entry_id}"
    assert key in hass_storage
    assert f"{key}.seq" in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert f"{key}.seq" not in hass_storage
