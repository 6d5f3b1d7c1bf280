"""A rig of every fixture kind driven from Home Assistant: what each light offers and what the DMX line carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.propnet.const import LIGHTING_DEFAULTS
from tests.harness.procs import wait_until
from tests.harness.pty_widget import PtyWidget

from ..common import open_lighting_settings, sectioned
from .test_coordinator import caught_up, lighting_entry, start

RIG = """Main, 1, rgb
Par, 4, rgbw, order=grbw
Strip, 8, rgbww
Panel, 13, cct, kelvin=3000-5600
Spot, 15, dimmer_rgb, 16bit
Fog, 2/1, dimmer
Mover, 2/2, channels, pan, tilt"""


async def rig(hass: HomeAssistant) -> Any:
    """Set show lighting up with the rig; return its coordinator."""
    entry = await start(hass, lighting_entry(fixtures=RIG))
    return entry.runtime_data


async def turn_on(hass: HomeAssistant, entity_id: str, **data: Any) -> None:
    """Turn a light on as a dashboard would."""
    await hass.services.async_call(
        "light", "turn_on", {"entity_id": entity_id, **data}, blocking=True
    )
    await caught_up(hass)


def channels(lighting: Any, universe: int, first: int, count: int) -> list[int]:
    """Return ``count`` channels from ``first`` (1-based) once fades are done."""
    frame = lighting.universe.frame(1e12, universe)
    return list(frame[first - 1 : first - 1 + count])


async def test_each_kind_offers_its_colour_mode(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A dimmer is brightness only, RGBW has its white, RGBWW two, CCT a temperature."""
    await rig(hass)
    modes = {
        entity_id: hass.states.get(entity_id).attributes["supported_color_modes"]
        for entity_id in (
            "light.show_lighting",
            "light.show_lighting_par",
            "light.show_lighting_strip",
            "light.show_lighting_panel",
            "light.show_lighting_spot",
            "light.show_lighting_fog",
        )
    }
    assert modes == {
        "light.show_lighting": ["rgb"],
        "light.show_lighting_par": ["rgbw"],
        "light.show_lighting_strip": ["rgbww"],
        "light.show_lighting_panel": ["color_temp"],
        "light.show_lighting_spot": ["rgb"],
        "light.show_lighting_fog": ["brightness"],
    }
    panel = hass.states.get("light.show_lighting_panel").attributes
    assert (panel["min_color_temp_kelvin"], panel["max_color_temp_kelvin"]) == (
        3000,
        5600,
    )
    assert hass.states.get("light.show_lighting_mover") is None
    assert hass.states.get("number.show_lighting_mover_pan").state == "0"


async def test_the_channels_on_the_wire(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Colours, whites, temperatures and 16-bit brightness land in each fixture's order."""
    lighting = await rig(hass)
    await turn_on(hass, "light.show_lighting_par", rgbw_color=[10, 20, 30, 200])
    assert channels(lighting, 1, 4, 4) == [20, 10, 30, 200]  # order=grbw
    await turn_on(hass, "light.show_lighting_par", brightness=128)
    assert channels(lighting, 1, 4, 4) == [10, 5, 15, 100]
    await turn_on(hass, "light.show_lighting_strip", rgbww_color=[0, 0, 0, 40, 200])
    assert channels(lighting, 1, 8, 5) == [0, 0, 0, 40, 200]
    await turn_on(hass, "light.show_lighting_panel", color_temp_kelvin=5600)
    assert channels(lighting, 1, 13, 2) == [255, 0]
    await turn_on(
        hass, "light.show_lighting_panel", color_temp_kelvin=3000, brightness=128
    )
    assert channels(lighting, 1, 13, 2) == [0, 128]
    await turn_on(
        hass, "light.show_lighting_spot", rgb_color=[255, 0, 0], brightness=128
    )
    # 16-bit dimmer: 128/255 of 65535 is 32896, coarse 128 and fine 128.
    assert channels(lighting, 1, 15, 5) == [128, 128, 255, 0, 0]
    await turn_on(hass, "light.show_lighting_fog", brightness=200)
    assert channels(lighting, 2, 1, 1) == [200]
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.show_lighting_mover_tilt", "value": 90},
        blocking=True,
    )
    await caught_up(hass)
    assert channels(lighting, 2, 2, 2) == [0, 90]
    assert hass.states.get("number.show_lighting_mover_tilt").state == "90"
    await hass.services.async_call(
        "light", "turn_off", {"entity_id": "light.show_lighting_par"}, blocking=True
    )
    await caught_up(hass)
    assert channels(lighting, 1, 4, 4) == [0, 0, 0, 0]
    state = hass.states.get("light.show_lighting_par")
    assert state.state == "off"


async def test_a_scene_captures_and_restores_the_look(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    """Home Assistant scenes are PropNet's looks: snapshot, change, apply, same DMX line."""
    widget = PtyWidget(tmp_path / "usb-ENTTEC_DMX_USB_PRO_EN000001-if00-port0")
    try:
        entry = await start(
            hass, lighting_entry(fixtures=RIG, enttec_port=str(widget.link))
        )
        lighting = entry.runtime_data
        assert await async_setup_component(hass, "scene", {})
        await turn_on(hass, "light.show_lighting", rgb_color=[255, 0, 0])
        await turn_on(hass, "light.show_lighting_par", rgbw_color=[0, 0, 255, 50])
        await turn_on(hass, "light.show_lighting_panel", color_temp_kelvin=4000)
        await turn_on(hass, "light.show_lighting_fog", brightness=30)
        look = {u: lighting.universe.frame(1e12, u) for u in (1, 2)}
        entities = [
            "light.show_lighting",
            "light.show_lighting_par",
            "light.show_lighting_panel",
            "light.show_lighting_fog",
            "number.show_lighting_mover_pan",
        ]
        await hass.services.async_call(
            "scene",
            "create",
            {"scene_id": "graveyard", "snapshot_entities": entities},
            blocking=True,
        )
        await hass.services.async_call(
            "light", "turn_off", {"entity_id": entities[:4]}, blocking=True
        )
        await caught_up(hass)
        assert lighting.universe.frame(1e12, 1) != look[1]
        await hass.services.async_call(
            "scene", "turn_on", {"entity_id": "scene.graveyard"}, blocking=True
        )
        await caught_up(hass)
        assert {u: lighting.universe.frame(1e12, u) for u in (1, 2)} == look
        # And on the serial line of the DMX USB Pro showing universe 1.
        await hass.async_add_executor_job(
            wait_until,
            lambda: (
                widget.received()
                and widget.received()[-1][1][1 : 1 + len(look[1])] == look[1]
            ),
            5,
            "the look on the DMX line",
        )
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        widget.close()


async def test_two_widgets_show_two_universes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    """Two DMX USB Pros on real pseudo-terminals, universe 1 on one, 2 on the other."""
    first = PtyWidget(tmp_path / "usb-ENTTEC_DMX_USB_PRO_EN000001-if00-port0")
    second = PtyWidget(tmp_path / "usb-ENTTEC_DMX_USB_PRO_EN000002-if00-port0", 0x2)
    try:
        entry = await start(
            hass,
            lighting_entry(
                fixtures="Main, 1, rgb\nFog, 2/1, dimmer",
                enttec_port=str(first.link),
                enttec_more=f"# the yard\n{second.link} = 2",
            ),
        )
        await hass.async_add_executor_job(
            wait_until,
            lambda: entry.runtime_data.output_status.get("enttec") == "connected",
            10,
            "both widgets connecting",
        )
        await turn_on(hass, "light.show_lighting", rgb_color=[0, 255, 0])
        await turn_on(hass, "light.show_lighting_fog", brightness=77)
        for widget, check in (
            (first, lambda f: f[1:4] == bytes([0, 255, 0])),
            (second, lambda f: f[1:2] == bytes([77])),
        ):
            await hass.async_add_executor_job(
                wait_until,
                lambda w=widget, c=check: any(c(f) for _, f in w.received()),
                5,
                "the universe on its widget",
            )
        assert not any(f[1:2] == bytes([77]) for _, f in first.received())
        widgets = entry.runtime_data.diagnostics()["enttec"]
        assert [(w["universe"], w["status"]) for w in widgets] == [
            (1, "connected"),
            (2, "connected"),
        ]
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        first.close()
        second.close()


async def test_levels_saved_before_fixture_kinds_come_back(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """A fixture list and saved levels from an earlier version work unchanged."""
    entry = lighting_entry(fixtures="Main, 1, rgb\nWash, 4, rgbw")
    key = f"propnet.lighting.{entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {"fixtures": {"Wash": {"r": 0, "g": 0, "b": 255, "brightness": 200}}},
    }
    lighting = (await start(hass, entry)).runtime_data
    assert channels(lighting, 1, 4, 4) == [0, 0, 200, 0]
    state = hass.states.get("light.show_lighting_wash")
    assert (state.state, state.attributes["brightness"]) == ("on", 200)


async def test_the_rig_is_set_up_in_the_options(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Fixture kinds, widgets and network outputs through the options form; mistakes explained."""
    entry = await start(hass, lighting_entry())
    flow = await open_lighting_settings(hass, entry.entry_id)
    answer = {**LIGHTING_DEFAULTS, "fixtures": RIG}
    for field, text, words in (
        ("fixtures", "Main, 1, rgb\nPar, 4, rgbw, 16bit", "only a dimmer channel"),
        ("enttec_more", "/dev/ttyUSB1", "write the port, =, the universe"),
        ("network_outputs", "artnet multicast", "multicast is sACN's"),
    ):
        result = await hass.config_entries.options.async_configure(
            flow["flow_id"], sectioned({**answer, field: text})
        )
        assert result["errors"] == {"base": f"invalid_{INVALID[field]}"}
        assert words in result["description_placeholders"]["error"]
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"],
        sectioned({**answer, "network_outputs": "sacn 127.0.0.1:9 priority=120"}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert hass.states.get("light.show_lighting_panel").attributes[
        "supported_color_modes"
    ] == ["color_temp"]
    assert entry.runtime_data.diagnostics()["network"][0]["host"] == "127.0.0.1"


INVALID = {
    "fixtures": "fixtures",
    "enttec_more": "widgets",
    "network_outputs": "network_outputs",
}
