"""What `propnet-firmware validate` says about each kind of mistake, and where."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

import pytest

from propnet_tool.cli import main
from propnet_tool.loader import ConfigError
from propnet_tool.schema import compile_config
from tests.harness.virtual_prop import PROPS

HEAD = "prop: {id: p, name: P}\nmqtt: {host: h}\n"


def problems(tmp_path: Path, text: str) -> list[str]:
    """Return 'line: message' for each problem in ``text``."""
    path = tmp_path / "prop.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        compile_config(path)
    return [f"{line}: {message}" for _, line, message in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2]\n", "1: a prop config is a mapping"),
        (
            "prop: {id: p, name: P}\nmqtt: {host: h}\ncomponents: {}\n",
            "3: components: must be a list",
        ),
        (
            "prop: {id: p, name: P, prefix: 'a//b'}\nmqtt: {host: h}\ncomponents: []\n",
            "1: prop.prefix: the prefix has an empty topic level",
        ),
        (
            "prop: {id: p, name: P}\nmqtt: {host: h}\nwifi: {password: x}\ncomponents: []\n",
            "3: wifi.ssid: is required",
        ),
        (
            "prop: {id: p, name: P}\nmqtt: {host: h}\nstatus_led: {pin: 99}\ncomponents: []\n",
            "3: status_led.pin: must be a whole number from 0 to 48",
        ),
        (
            "prop: {id: p, name: P}\nmqtt: [h]\ncomponents: []\n",
            "2: mqtt: must be a mapping",
        ),
        (HEAD + "components: [7]\n", "3: components[0]: must be a mapping"),
        (
            HEAD + "components:\n  - {type: switch, key: a, pin: 1, pinn: 2}\n",
            "4: components[0].pinn: unknown option; expected one of type, key, name, icon, device_class, category, enabled, pin, invert, pulse",
        ),
        (
            HEAD + "components:\n  - {type: switch, key: a}\n",
            "4: components[0].pin: is required",
        ),
        (
            HEAD + "components:\n  - {type: switch, key: a, pin: 1, invert: 'yes'}\n",
            "4: components[0].invert: must be true or false",
        ),
        (
            HEAD + "components:\n  - {type: switch, key: a, pin: 1, category: main}\n",
            "4: components[0].category: must be one of config, diagnostic",
        ),
        (
            HEAD + "components:\n  - {type: light, key: a}\n",
            "4: components[0].pins: a pwm light needs 1 or 3 pins",
        ),
        (
            HEAD + "components:\n  - {type: light, key: a, output: ws2812}\n",
            "4: components[0].pin: a ws2812 light needs its data pin",
        ),
        (
            HEAD + "components:\n  - {type: light, key: a, pins: [1, 2]}\n",
            "4: components[0].pins: must be a list of 1 or 3 pin numbers",
        ),
        (
            HEAD
            + "components:\n  - {type: light, key: a, pins: [1], follow_rgb: 'a/+/b'}\n",
            "4: components[0].follow_rgb: must be true or a base topic",
        ),
        (
            HEAD + "components:\n  - {type: siren, key: a, tones: [x]}\n",
            "4: components[0].tones: must map tone names to pins",
        ),
        (
            HEAD + "components:\n  - {type: siren, key: a, tones: {x: 100}}\n",
            "4: components[0].tones.x: must be a whole number from 0 to 48",
        ),
        (
            HEAD
            + "components:\n  - {type: siren, key: a, tones: {x: 1}, default_tone: y}\n",
            "4: components[0].default_tone: not among the tones",
        ),
        (
            HEAD + "components:\n  - {type: sensor, key: a}\n",
            "4: components[0].pin: an adc sensor needs a pin",
        ),
        (
            HEAD + "components:\n  - {type: sensor, key: a, pin: 3, filters: 5}\n",
            "4: components[0].filters: must be a list",
        ),
        (
            HEAD
            + "components:\n  - {type: sensor, key: a, pin: 3, filters: [{delta: -1}]}\n",
            "4: components[0].filters[0].delta: must be at least 0",
        ),
        (
            HEAD
            + "components:\n  - {type: sensor, key: a, pin: 3, filters: [{sliding_average: {size: 0}}]}\n",
            "4: components[0].filters[0].sliding_average: must be a whole number from 1 to 64",
        ),
        (
            HEAD
            + "components:\n  - {type: number, key: a, min: 0, max: 5, initial: 9}\n",
            "4: components[0].initial: must be from min to max",
        ),
        (
            HEAD + "components:\n  - {type: system, sensors: [uptime, mood]}\n",
            "4: components[0].sensors: unknown mood; choose from uptime, rssi, free_memory, reset_reason",
        ),
        (
            HEAD
            + "components:\n  - {type: system}\n  - {type: switch, key: uptime, pin: 1}\n",
            "5: components[1].key: 'uptime' is used twice",
        ),
        (
            HEAD + "components:\n  - {type: rgb_sender, pins: [1, 2, 3], base: '#'}\n",
            "4: components[0].base: not a valid base topic",
        ),
        (
            HEAD + "components:\n  - {type: button, key: b, on_press: nothing}\n",
            "4: b.on_press: there is no action named 'nothing'",
        ),
        (
            HEAD + "components:\n  - {type: button, key: b, on_press: 5}\n",
            "4: b.on_press: must be an action name or a list of steps",
        ),
        (
            HEAD + "components: []\nactions: [a]\n",
            "4: actions: must map names to lists of steps",
        ),
        (
            HEAD + "components: []\nactions: {Bad: []}\n",
            "4: actions.Bad: names follow the entity key rule",
        ),
        (
            HEAD + "components: []\nactions:\n  a: [5]\n",
            "5: actions.a[0]: a step is one 'name: value' pair",
        ),
        (
            HEAD + "components: []\nactions:\n  a:\n    - set: {key: x}\n",
            "6: actions.a[0].set: needs key and value",
        ),
        (
            HEAD + "components: []\nactions:\n  a:\n    - fire: scared\n",
            "6: actions.a[0].fire: needs key and type",
        ),
        (
            HEAD + "components: []\nactions:\n  a:\n    - run: b\n",
            "6: actions.a[0].run: there is no action named 'b'",
        ),
        (
            HEAD + "components: []\nactions:\n  a:\n    - when: {key: m}\n",
            "6: actions.a[0].when: needs key and is",
        ),
        (
            HEAD + "components: []\nactions:\n  a:\n    - log: {level: loud, msg: x}\n",
            "6: actions.a[0].log: must be one of debug, info, warning, error",
        ),
        (
            HEAD
            + "components:\n  - {type: switch, key: s, pin: 1}\nactions:\n  a:\n    - delay: s\n",
            "7: actions.a[0].delay: s is a switch; this step needs a number",
        ),
        (
            HEAD
            + "components:\n  - {type: switch, key: s, pin: 1}\nactions:\n  a:\n    - turn_on: {key: s, transition: -1}\n",
            "7: actions.a[0].turn_on: must be from 0 to 86400",
        ),
        ("prop: {id: p, name: P}\nprop: {id: q, name: Q}\n", "2: 'prop' appears twice"),
        ("{[1]: 2}\n", "1: keys must be text"),
        ("prop: [\n", "2: expected the node content, but found '<stream end>'"),
    ],
)
def test_each_mistake_gets_its_message_at_its_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    """The message names the option and says what was expected."""
    assert expected in problems(tmp_path, text)


def test_steps_that_are_fine(tmp_path: Path) -> None:
    """Every kind of step compiles to the runtime's form."""
    path = tmp_path / "prop.yaml"
    path.write_text(
        HEAD + "components:\n"
        "  - {type: switch, key: s, pin: 1}\n"
        "  - {type: button, key: b, on_press: [{press: b2}]}\n"
        "  - {type: button, key: b2, on_press: a}\n"
        "  - {type: select, key: m, options: [x, y]}\n"
        "  - {type: event, key: e, event_types: [t]}\n"
        "actions:\n"
        "  a:\n"
        "    - set: {key: m, value: y}\n"
        "    - fire: {key: e, type: t}\n"
        "    - when: {key: m, is: y}\n"
        "    - log: plain words\n"
        "    - log: {level: warning, msg: careful}\n"
        "    - turn_off: s\n"
        "    - cooldown: 2\n"
    )
    prop = compile_config(path)
    assert prop["actions"]["a"] == [
        ["set", "m", "y"],
        ["event", "e", "t"],
        ["when", "m", "y"],
        ["log", "info", "plain words"],
        ["log", "warning", "careful"],
        ["off", "s"],
        ["cooldown", 2],
    ]
    buttons = {c["key"]: c for c in prop["components"] if c["kind"] == "button"}
    assert buttons["b"]["on_press"] == [["press", "b2"]]
    assert buttons["b2"]["on_press"] == "a"


def test_secrets_files_that_are_broken_are_reported(tmp_path: Path) -> None:
    """A secrets.yaml that is not a mapping, or not YAML, is named as the problem."""
    (tmp_path / "secrets.yaml").write_text("- a\n")
    assert "1: must be a mapping of names to values" in problems(
        tmp_path, HEAD + "components: []\n"
    )
    (tmp_path / "secrets.yaml").write_text("a: [\n")
    assert any(
        "cannot be read" in p for p in problems(tmp_path, HEAD + "components: []\n")
    )
    (tmp_path / "secrets.yaml").unlink()
    (tmp_path / "prop.yaml").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8"):
        compile_config(tmp_path / "prop.yaml")


def test_build_and_errors_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`build` writes the folder; `validate --show` prints prop.json; failures exit 1."""
    out = tmp_path / "out"
    assert (
        main(["build", str(PROPS / "rgb_sender.yaml"), "-o", str(out), "--source"]) == 0
    )
    assert (out / "lib" / "propnet" / "components" / "rgb_sender.py").exists()
    assert not (out / "lib" / "propnet" / "components" / "light.py").exists()
    assert "built" in capsys.readouterr().out
    assert main(["validate", "--show", str(PROPS / "rgb_sender.yaml")]) == 0
    assert '"kind": "rgb_sender"' in capsys.readouterr().out
    assert (
        main(
            [
                "deploy",
                str(PROPS / "rgb_sender.yaml"),
                "--port",
                str(tmp_path / "nothing"),
            ]
        )
        == 1
    )
    assert "error: mpremote" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", str(PROPS / "rgb_sender.yaml"), "--broker", "nowhere"])


def test_the_tool_works_without_home_assistant(tmp_path: Path) -> None:
    """On a prop builder's laptop there is no Home Assistant: validate still works."""
    script = (
        "import sys\n"
        "sys.modules['homeassistant'] = None\n"  # makes `import homeassistant` fail
        "from propnet_tool.cli import main\n"
        f"sys.exit(main(['validate', {str(PROPS / 'coffin_jumper.yaml')!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ok (13 entities)" in result.stdout
    assert "homeassistant" not in result.stderr


@pytest.mark.parametrize(
    ("board", "component", "expected"),
    [
        (
            "esp32",
            "{type: switch, key: lid, pin: 6}",
            "4: pin: GPIO 6 of the esp32 is wired to the module's flash; the prop would not boot",
        ),
        (
            "esp32",
            "{type: switch, key: lid, pin: 34}",
            "4: pin: GPIO 34 of the esp32 is input-only; it cannot drive switch lid",
        ),
        (
            "esp32",
            "{type: binary_sensor, key: mat, pin: 36, pull: up}",
            (
                "4: pull: GPIO 36 of the esp32 has no internal pull resistor; fit one on "
                "the board (10 kOhm) and set pull: none"
            ),
        ),
        (
            "esp32",
            "{type: sensor, key: level, source: adc, pin: 4}",
            (
                "4: pin: GPIO 4 of the esp32 has no ADC that works while Wi-Fi is on; "
                "use GPIO 32 to 39"
            ),
        ),
        (
            "esp32",
            "{type: switch, key: lid, pin: 24}",
            "4: pin: the esp32 has no GPIO 24",
        ),
        (
            "esp32s3",
            "{type: switch, key: lid, pin: 30}",
            "4: pin: GPIO 30 of the esp32s3 is wired to the module's flash; the prop would not boot",
        ),
        (
            "esp32s3",
            "{type: switch, key: lid, pin: 20}",
            "4: pin: GPIO 20 of the esp32s3 is the USB port the firmware is deployed through",
        ),
        (
            "esp32c3",
            "{type: switch, key: lid, pin: 14}",
            "4: pin: GPIO 14 of the esp32c3 is wired to the module's flash; the prop would not boot",
        ),
        (
            "esp32c3",
            "{type: switch, key: lid, pin: 22}",
            "4: pin: the esp32c3 has no GPIO 22",
        ),
    ],
)
def test_pins_are_checked_against_the_board(
    tmp_path: Path, board: str, component: str, expected: str
) -> None:
    """Validate names the pin, the board and why: flash, input-only, no pull, ADC2, missing."""
    found = problems(
        tmp_path,
        f"prop: {{id: p, name: P, board: {board}}}\nmqtt: {{host: h}}\n"
        f"components:\n  - {component}\n",
    )
    assert found == [expected]


def test_pins_a_board_has_are_taken_and_the_board_is_announced(tmp_path: Path) -> None:
    """GPIO 34 reads a PIR on an ESP32; GPIO 40 drives a relay on an S3; hw_version says which."""
    for board, pins in (("esp32", (34, 23)), ("esp32s3", (40, 41))):
        path = tmp_path / f"{board}.yaml"
        path.write_text(
            f"prop: {{id: p, name: P, board: {board}}}\nmqtt: {{host: h}}\n"
            f"components:\n  - {{type: binary_sensor, key: pir, pin: {pins[0]}}}\n"
            f"  - {{type: switch, key: lid, pin: {pins[1]}}}\n"
        )
        assert compile_config(path)["announce"]["hw_version"] == board
