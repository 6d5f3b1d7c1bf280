"""Servo, stepper, DFPlayer, distance and RFID in a prop config: errors at their lines, entities, steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, strategies as st
import pytest

from propnet_tool.checks import BadValueError
from propnet_tool.devices import tracks, uid
from propnet_tool.loader import ConfigError
from propnet_tool.schema import compile_config
from tests.firmware.test_validation import HEAD, problems
from tests.harness.virtual_prop import PROPS

SERVO = "  - {type: servo, key: jaw, pin: 18"
STEPPER = "  - {type: stepper, key: door, step_pin: 26, dir_pin: 27, max: 2000"
PLAYER = "  - {type: dfplayer, key: voice, tx: 17, tracks: {hello: 1, laugh: 2}"
RANGER = "  - {type: distance, key: visitor, trigger_pin: 12, echo_pin: 13"
READER = "  - {type: rfid, key: altar, sck: 14, mosi: 23, miso: 19, cs: 5"


def components(*lines: str) -> str:
    """Return a config whose components are ``lines``."""
    return HEAD + "components:\n" + "".join(line + "\n" for line in lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            components("  - {type: servo, key: jaw}"),
            "4: components[0].pin: is required",
        ),
        (
            components(SERVO + ", min_angle: 90, max_angle: 10}"),
            "4: components[0].max_angle: must be above min_angle",
        ),
        (
            components(SERVO + ", safe_angle: 400}"),
            "4: components[0].safe_angle: must be from 0 to 360",
        ),
        (
            components(SERVO + ", max_angle: 90, safe_angle: 120}"),
            "4: components[0].safe_angle: must be from min_angle to max_angle",
        ),
        (
            components(SERVO + ", min_us: 2500, max_us: 500}"),
            "4: components[0].max_us: must be above min_us",
        ),
        (
            components(SERVO + ", speed: -1}"),
            "4: components[0].speed: must be from 0 to 10000",
        ),
        (
            components(SERVO + ", lipsync: {pin: 35}}"),
            "4: components[0].lipsync.player: is required",
        ),
        (
            components(SERVO + ", lipsync: {pin: 35, player: nobody}}"),
            "4: jaw.lipsync.player: 'nobody' is not a dfplayer of this prop",
        ),
        (
            components(
                PLAYER + "}",
                SERVO
                + ",\n      lipsync: {pin: 35, player: voice, quiet: 0.5, loud: 0.1}}",
            ),
            "6: components[1].lipsync.loud: must be above quiet",
        ),
        (
            components(SERVO + ", lipsync: {pin: 18, player: x}}"),
            "4: pin: pin 18 is already used by servo jaw",
        ),
        (
            components("  - {type: stepper, key: door, step_pin: 26, dir_pin: 27}"),
            "4: components[0].max: is required",
        ),
        (
            components(STEPPER + ", min: 2000}"),
            "4: components[0].max: must be above min",
        ),
        (
            components(
                "  - {type: stepper, key: door, step_pin: 26, dir_pin: 26, max: 9}"
            ),
            "4: dir_pin: pin 26 is already used by stepper door",
        ),
        (
            components(STEPPER + ", home: {speed: 10}}"),
            "4: components[0].home.pin: is required",
        ),
        (
            components(STEPPER + ", home: {pin: 33, pull: sideways}}"),
            "4: components[0].home.pull: must be one of up, down",
        ),
        (
            components(STEPPER + ", acceleration: 0}"),
            "4: components[0].acceleration: must be from 1 to 200000",
        ),
        (
            components("  - {type: dfplayer, key: voice, tx: 17}"),
            "4: components[0].tracks: is required",
        ),
        (
            components("  - {type: dfplayer, key: voice, tx: 17, tracks: [a, b]}"),
            "4: components[0].tracks: must map track names to numbers, like {hello: 1}",
        ),
        (
            components("  - {type: dfplayer, key: voice, tx: 17, tracks: {a: 0}}"),
            "4: components[0].tracks: a: must be a whole number from 1 to 2999",
        ),
        (
            components(PLAYER + ", volume: 31}"),
            "4: components[0].volume: must be a whole number from 0 to 30",
        ),
        (
            components(PLAYER + ", initial: sing}"),
            "4: components[0].initial: not among the tracks",
        ),
        (
            components(
                "  - {type: dfplayer, key: a_key_far_too_long_for_a_volu, tx: 1, tracks: {a: 1}}"
            ),
            "4: components[0].key: 'a_key_far_too_long_for_a_volu' is too long for its volume entity",
        ),
        (
            components(PLAYER + "}", "  - {type: switch, key: voice_volume, pin: 3}"),
            "5: components[1].key: 'voice_volume' is used twice",
        ),
        (
            components("  - {type: distance, key: visitor, trigger_pin: 12}"),
            "4: components[0].echo_pin: is required",
        ),
        (
            components(RANGER + ", max_distance: 900}"),
            "4: components[0].max_distance: must be from 20 to 400",
        ),
        (
            components(RANGER + ", filters: [{median: 3}]}"),
            "4: components[0].filters[0]: unknown filter 'median'",
        ),
        (
            components(RANGER + ", on_near: nowhere}"),
            "4: visitor.on_near: there is no action named 'nowhere'",
        ),
        (
            components("  - {type: rfid, key: altar, sck: 18, mosi: 23, miso: 19}"),
            "4: components[0].cs: is required",
        ),
        (
            components(READER + ", allowed: [DEADBEE]}"),
            "4: components[0].allowed: 'DEADBEE' is not a 4- or 7-byte UID in hex (like 04A23B5A)",
        ),
        (
            components(READER + "}", "  - {type: switch, key: s, pin: 19}"),
            "5: pin: pin 19 is already used by the SPI bus (miso)",
        ),
    ],
)
def test_each_new_option_mistake_gets_its_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    """The message names the option, says what was expected, and points at its line."""
    found = problems(tmp_path, text)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("move: {key: jaw, to: 200}", "must be from 0 to 180"),
        ("move: {key: door, to: 2001}", "must be from 0 to 2000"),
        ("move: {key: jaw}", "needs key and to"),
        (
            "move: {key: voice, to: 1}",
            "voice is a dfplayer; this step needs a servo or stepper",
        ),
        ("move: {key: jaw, to: 5, fast: true}", "unknown option 'fast'"),
        ("move: {key: jaw, to: 5, wait: sure}", "must be true or false"),
        (
            "play: {key: voice, track: sing}",
            "'sing' is not a track of voice; expected one of hello, laugh",
        ),
        ("play: jaw", "jaw is a servo; this step needs a dfplayer"),
        ("home: door", "door has no home switch"),
        (
            "stop: visitor",
            "visitor is a distance; this step needs a servo or stepper or dfplayer",
        ),
        (
            "delay: voice_volume",
            "voice_volume is a dfplayer volume; this step needs a number",
        ),
        (
            "press: voice_playing",
            "voice_playing is a dfplayer playing; this step needs a button",
        ),
    ],
)
def test_device_steps_are_checked_against_their_target(
    tmp_path: Path, step: str, expected: str
) -> None:
    """A step's target, range and track are checked at build time, at the step's line."""
    text = (
        components(SERVO + "}", STEPPER + "}", PLAYER + "}", RANGER + "}")
        + f"actions:\n  a:\n    - {step}\n"
    )
    assert any(
        p.startswith("10: actions.a[0].") and expected in p
        for p in problems(tmp_path, text)
    ), problems(tmp_path, text)


def test_device_steps_and_faces_compile(tmp_path: Path) -> None:
    """Each device step compiles to [op, key, argument, wait]; faces get their keys."""
    path = tmp_path / "prop.yaml"
    path.write_text(
        components(
            SERVO + "}",
            STEPPER + ", home: {pin: 33}}",
            PLAYER + "}",
            RANGER + ", near: 50, on_near: [{play: voice}]}",
            READER
            + ", allowed: [deadbeef], on_allowed: [{home: {key: door, wait: true}}]}",
        )
        + "actions:\n  a:\n"
        "    - move: {key: jaw, to: 40}\n"
        "    - move: {key: door, to: 1200, wait: true}\n"
        "    - play: {key: voice, track: laugh, wait: true}\n"
        "    - stop: voice\n"
        "    - turn_on: voice_playing\n"
        "    - set: {key: voice_volume, value: 12}\n"
        "    - press: door_home\n"
        "    - when: {key: voice, is: laugh}\n"
    )
    prop = compile_config(path)
    assert prop["actions"]["a"] == [
        ["move", "jaw", 40, False],
        ["move", "door", 1200, True],
        ["play", "voice", "laugh", True],
        ["stop", "voice", None, False],
        ["on", "voice_playing"],
        ["set", "voice_volume", 12],
        ["press", "door_home"],
        ["when", "voice", "laugh"],
    ]
    by_key = {c.get("key"): c for c in prop["components"]}
    assert by_key["visitor"]["on_near"] == [["play", "voice", None, False]]
    assert by_key["visitor"]["source"] == "echo"
    assert by_key["altar"]["allowed"] == ["DEADBEEF"]
    assert by_key["altar"]["keys"] == {"uid": "altar_uid"}
    assert by_key["door"]["keys"] == {"home": "door_home"}
    assert by_key["voice"]["keys"] == {
        "volume": "voice_volume",
        "playing": "voice_playing",
    }
    entities = {e["key"]: e for e in prop["announce"]["entities"]}
    assert entities["jaw"] == {
        "key": "jaw",
        "type": "number",
        "min": 0,
        "max": 180,
        "step": 1,
        "unit": "°",
        "mode": "slider",
    }
    assert entities["door_home"]["type"] == "button"
    assert entities["door_home"]["name"] == "Door home"
    assert entities["voice"]["options"] == ["hello", "laugh"]
    assert entities["voice_volume"]["max"] == 30
    assert entities["voice_playing"]["type"] == "switch"
    assert entities["visitor"]["device_class"] == "distance"
    assert entities["altar"]["event_types"] == ["allowed", "denied", "removed"]
    assert entities["altar_uid"]["type"] == "text"


def test_two_readers_share_one_spi_bus(tmp_path: Path) -> None:
    """SCK, MOSI and MISO may be shared between readers; each needs its own CS."""
    path = tmp_path / "prop.yaml"
    path.write_text(
        components(
            READER + "}",
            "  - {type: rfid, key: box, sck: 14, mosi: 23, miso: 19, cs: 4}",
        )
    )
    assert len(compile_config(path)["components"]) == 2
    path.write_text(
        components(
            READER + "}",
            "  - {type: rfid, key: box, sck: 14, mosi: 23, miso: 19, cs: 5}",
        )
    )
    with pytest.raises(ConfigError, match="pin 5 is already used by rfid altar"):
        compile_config(path)


def test_the_talking_skull_builds() -> None:
    """The example prop compiles with its voice, jaw and sequence."""
    prop = compile_config(PROPS / "talking_skull.yaml")
    keys = [e["key"] for e in prop["announce"]["entities"]]
    for key in ("voice", "voice_volume", "voice_playing", "jaw", "speak", "motion"):
        assert key in keys
    steps = prop["actions"]["talk"]
    assert ["play", "voice", "welcome", True] in steps


@given(st.text(max_size=16))
def test_uid_check_accepts_only_4_or_7_bytes_of_hex(value: str) -> None:
    """Any text is either a UID (returned in capitals) or a clear error."""
    hexdigits = set("0123456789abcdefABCDEF")
    if len(value) in (8, 14) and set(value) <= hexdigits:
        out = uid(value)
        assert len(out) in (8, 14)
        assert int(out, 16) >= 0
        assert out == value.upper()
    else:
        with pytest.raises(BadValueError, match="is not a 4- or 7-byte UID"):
            uid(value)


@given(
    st.dictionaries(st.text(max_size=5), st.integers(-5, 4000) | st.text(max_size=3))
)
def test_tracks_check_never_crashes(value: dict[str, Any]) -> None:
    """A tracks map is accepted whole or refused with a message naming the track."""
    good = bool(value) and all(
        name and isinstance(n, int) and 1 <= n <= 2999 for name, n in value.items()
    )
    if good:
        out = tracks(value)
        assert all(1 <= n <= 2999 for n in out.values())
        assert list(out) == list(value)
    else:
        with pytest.raises(BadValueError, match=r"\w"):
            tracks(value)


def test_a_build_carries_the_modules_its_components_need(tmp_path: Path) -> None:
    """A prop with only a distance sensor gets the sensor module it builds on, no others."""
    from propnet_tool.build import build

    config = tmp_path / "prop.yaml"
    config.write_text(components(RANGER + "}"))
    manifest = build(config, tmp_path / "out", mpy=False)
    parts = {Path(p).name for p in manifest if "/components/" in p}
    assert parts == {"__init__.py", "distance.py", "sensor.py"}


def test_a_prop_with_nothing_to_blink_says_it_cannot_identify(tmp_path: Path) -> None:
    """No status LED, light or siren: the announce says so; any of them, it does not."""
    path = tmp_path / "prop.yaml"
    path.write_text(components(STEPPER + "}"))
    assert compile_config(path)["announce"]["identify"] is False
    path.write_text(components(STEPPER + "}", "  - {type: light, key: l, pins: [4]}"))
    assert "identify" not in compile_config(path)["announce"]
    path.write_text(HEAD + "status_led: {pin: 2}\ncomponents:\n" + STEPPER + "}\n")
    assert "identify" not in compile_config(path)["announce"]
