"""Stories of a user working each kind of prop entity from Home Assistant."""

from __future__ import annotations

from typing import Any

from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
import pytest

from .prop import Prop


async def call(
    hass: HomeAssistant, domain: str, service: str, entity_id: str, **data: Any
) -> None:
    """Call an entity action the way a dashboard does, waiting for it."""
    await hass.services.async_call(
        domain, service, {ATTR_ENTITY_ID: entity_id, **data}, blocking=True
    )
    await hass.async_block_till_done()


async def test_user_opens_the_lid(hass: HomeAssistant, prop: Prop) -> None:
    """Turning the switch on sends set and the state follows the prop's status."""
    await call(hass, "switch", "turn_on", "switch.coffin_jumper_lid")
    assert prop.commands[-1]["action"] == "set"
    assert prop.commands[-1]["key"] == "lid"
    assert prop.commands[-1]["value"] is True
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_ON

    await call(hass, "switch", "turn_off", "switch.coffin_jumper_lid")
    assert prop.commands[-1]["value"] is False
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_OFF


async def test_no_optimistic_state(hass: HomeAssistant, prop: Prop) -> None:
    """An acked command without a status leaves the state as the prop last said."""
    prop.reply = "ok"
    prop.state["lid"] = False

    original = prop.send

    def no_status(kind: str, payload: Any, retain: bool = False) -> None:
        if kind != "status":
            original(kind, payload, retain)

    prop.send = no_status  # type: ignore[method-assign]
    await call(hass, "switch", "turn_on", "switch.coffin_jumper_lid")
    assert hass.states.get("switch.coffin_jumper_lid").state == STATE_OFF


async def test_user_makes_the_eyes_glow(hass: HomeAssistant, prop: Prop) -> None:
    """Colour, brightness, effect and transition go to the prop in one set."""
    await call(
        hass,
        "light",
        "turn_on",
        "light.coffin_jumper_eyes",
        rgb_color=[0, 255, 0],
        brightness=200,
        transition=2,
    )
    assert prop.commands[-1]["value"] == {
        "on": True,
        "rgb": [0, 255, 0],
        "brightness": 200,
        "transition": 2,
    }
    state = hass.states.get("light.coffin_jumper_eyes")
    assert state.state == STATE_ON
    assert state.attributes["rgb_color"] == (0, 255, 0)
    assert state.attributes["brightness"] == 200
    assert state.attributes["color_mode"] == "rgb"
    assert state.attributes["supported_color_modes"] == ["rgb"]

    await call(hass, "light", "turn_on", "light.coffin_jumper_eyes", effect="flicker")
    assert prop.commands[-1]["value"] == {"on": True, "effect": "flicker"}
    assert hass.states.get("light.coffin_jumper_eyes").attributes["effect"] == "flicker"

    await call(hass, "light", "turn_off", "light.coffin_jumper_eyes", transition=1)
    assert prop.commands[-1]["value"] == {"on": False, "transition": 1}
    assert hass.states.get("light.coffin_jumper_eyes").state == STATE_OFF


@pytest.mark.parametrize(
    ("modes", "status", "attribute", "expected", "mode"),
    [
        (
            ["rgbw"],
            {"on": True, "rgbw": [1, 2, 3, 4]},
            "rgbw_color",
            (1, 2, 3, 4),
            "rgbw",
        ),
        (
            ["color_temp"],
            {"on": True, "color_temp_kelvin": 3000},
            "color_temp_kelvin",
            3000,
            "color_temp",
        ),
        (["brightness"], {"on": True, "brightness": 7}, "brightness", 7, "brightness"),
        (["onoff"], {"on": True}, "color_mode", "onoff", "onoff"),
        (
            ["brightness", "rgb", "color_temp"],
            {"on": True, "color_temp_kelvin": 4000},
            "color_temp_kelvin",
            4000,
            "color_temp",
        ),
    ],
)
async def test_every_colour_mode_shows_what_the_prop_reports(
    hass: HomeAssistant,
    entry: Any,
    *,
    modes: list[str],
    status: dict[str, Any],
    attribute: str,
    expected: Any,
    mode: str,
) -> None:
    """Lights of each kind show the prop's report in Home Assistant's terms."""
    prop = Prop(
        hass,
        entities=[
            {
                "key": "lamp",
                "type": "light",
                "color_modes": modes,
                "min_kelvin": 2700,
                "max_kelvin": 6000,
            }
        ],
    )
    prop.state = {"lamp": status}
    await prop.connect()
    state = hass.states.get("light.coffin_jumper_lamp")
    assert state.state == STATE_ON
    assert state.attributes[attribute] == expected
    assert state.attributes["color_mode"] == mode


async def test_user_sets_delay_mode_and_message(
    hass: HomeAssistant, prop: Prop
) -> None:
    """Numbers, selects and texts send set with the new value."""
    await call(hass, "number", "set_value", "number.coffin_jumper_delay", value=4)
    assert prop.commands[-1]["value"] == 4
    assert isinstance(prop.commands[-1]["value"], int)
    assert hass.states.get("number.coffin_jumper_delay").state == "4.0"
    await call(hass, "number", "set_value", "number.coffin_jumper_delay", value=4.5)
    assert prop.commands[-1]["value"] == 4.5
    state = hass.states.get("number.coffin_jumper_delay")
    assert (
        state.attributes["min"],
        state.attributes["max"],
        state.attributes["step"],
    ) == (0, 30, 0.5)
    assert state.attributes["unit_of_measurement"] == "s"

    await call(
        hass, "select", "select_option", "select.coffin_jumper_mode", option="armed"
    )
    assert prop.commands[-1] == {**prop.commands[-1], "key": "mode", "value": "armed"}
    assert hass.states.get("select.coffin_jumper_mode").state == "armed"

    await call(hass, "text", "set_value", "text.coffin_jumper_message", value="BOO")
    assert prop.commands[-1]["value"] == "BOO"
    state = hass.states.get("text.coffin_jumper_message")
    assert state.state == "BOO"
    assert state.attributes["max"] == 20


async def test_user_sounds_the_scream(hass: HomeAssistant, prop: Prop) -> None:
    """A siren turns on with a tone, volume and duration."""
    await call(
        hass,
        "siren",
        "turn_on",
        "siren.coffin_jumper_scream",
        tone="laugh",
        volume_level=0.5,
        duration=3,
    )
    assert prop.commands[-1]["value"] == {
        "on": True,
        "tone": "laugh",
        "volume": 0.5,
        "duration": 3,
    }
    assert hass.states.get("siren.coffin_jumper_scream").state == STATE_ON
    await call(hass, "siren", "turn_off", "siren.coffin_jumper_scream")
    assert prop.commands[-1]["value"] == {"on": False}
    assert hass.states.get("siren.coffin_jumper_scream").state == STATE_OFF


async def test_user_presses_scare_identify_and_restart(
    hass: HomeAssistant, prop: Prop
) -> None:
    """Announced buttons send press; the built-in ones send identify and reboot."""
    await call(hass, "button", "press", "button.coffin_jumper_scare")
    assert prop.commands[-1]["action"] == "press"
    assert prop.commands[-1]["key"] == "scare"
    await call(hass, "button", "press", "button.coffin_jumper_identify")
    assert prop.commands[-1]["action"] == "identify"
    assert "key" not in prop.commands[-1]
    await call(hass, "button", "press", "button.coffin_jumper_restart")
    assert prop.commands[-1]["action"] == "reboot"
    assert (
        hass.states.get("button.coffin_jumper_identify").attributes["device_class"]
        == "identify"
    )


async def test_sensors_show_readings(hass: HomeAssistant, entry: Any) -> None:
    """Sensors carry units, classes, precision and enum options from the announce."""
    prop = Prop(
        hass,
        entities=[
            {
                "key": "temp",
                "type": "sensor",
                "unit": "°C",
                "device_class": "temperature",
                "state_class": "measurement",
                "precision": 1,
            },
            {"key": "level", "type": "sensor", "options": ["low", "high"]},
            {"key": "odd", "type": "sensor", "state_class": "sometimes"},
        ],
    )
    prop.state = {"temp": 21.456, "level": "high", "odd": None}
    await prop.connect()
    temp = hass.states.get("sensor.coffin_jumper_temp")
    assert temp.state == "21.456"
    assert temp.attributes["unit_of_measurement"] == "°C"
    assert temp.attributes["device_class"] == "temperature"
    assert temp.attributes["state_class"] == "measurement"
    level = hass.states.get("sensor.coffin_jumper_level")
    assert level.state == "high"
    assert level.attributes["options"] == ["low", "high"]
    assert level.attributes["device_class"] == "enum"
    odd = hass.states.get("sensor.coffin_jumper_odd")
    assert odd.state == "unknown"
    assert "state_class" not in odd.attributes


async def test_a_motion_report_turns_the_binary_sensor_on(
    hass: HomeAssistant, prop: Prop
) -> None:
    """Binary sensors follow status."""
    prop.send("status", {"motion": True})
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.coffin_jumper_motion").state == STATE_ON


async def test_a_main_feature_entity_is_named_after_the_prop(
    hass: HomeAssistant, entry: Any
) -> None:
    """An entity announced with name null is the device's main feature."""
    prop = Prop(
        hass,
        prop_id="lantern",
        name="Lantern",
        entities=[{"key": "light", "type": "light", "name": None}],
    )
    prop.state = {"light": {"on": False}}
    await prop.connect()
    state = hass.states.get("light.lantern")
    assert state is not None
    assert state.attributes["friendly_name"] == "Lantern"
