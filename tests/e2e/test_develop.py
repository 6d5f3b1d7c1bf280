"""The README's first command: scripts/develop runs a working show, shown in a browser."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.harness.demo import DASHBOARD_PATH
from tests.harness.hass import PASSWORD, REPO, USERNAME, Hass
from tests.harness.olad import ola_installed
from tests.harness.procs import free_port, port_open, wait_until

BROWSER_MODULES = REPO / ".run" / "browser"
# Tests write only under ignored folders; PROPNET_SCREENSHOTS=docs/images
# refreshes the picture the docs show (see docs/development.md).
SCREENSHOT = (
    REPO / os.environ.get("PROPNET_SCREENSHOTS", ".run/screenshots") / "dashboard.png"
)


@dataclass
class Demo:
    """scripts/develop running in the background."""

    process: subprocess.Popen[bytes]
    log: Path
    runtime: Path
    http_port: int
    mqtt_port: int
    hass: Hass

    def state(self, entity_id: str) -> dict[str, object] | None:
        """Return an entity's state."""
        return self.hass.states().get(entity_id)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Start scripts/develop's Python entry point and wait until it is ready."""
    import pytest_socket

    pytest_socket.enable_socket()
    tmp = tmp_path_factory.mktemp("develop")
    http_port, mqtt_port = free_port(), free_port()
    log = tmp / "develop.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.harness.develop",
                "--port",
                str(http_port),
                "--mqtt-port",
                str(mqtt_port),
                "--runtime",
                str(tmp / "run"),
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: (
                "press Ctrl-C to stop" in log.read_text() or process.poll() is not None
            ),
            180,
            "scripts/develop becoming ready",
            0.2,
        )
        assert process.poll() is None, log.read_text()
        hass = Hass(tmp / "run" / "config", REPO / ".run" / "cache", port=http_port)
        yield Demo(process, log, tmp / "run", http_port, mqtt_port, hass)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(90)


def test_develop_serves_a_show_that_is_already_set_up(demo: Demo) -> None:
    """MQTT, PropNet and show lighting are set up; the firmware props are live."""
    output = demo.log.read_text()
    assert f"http://127.0.0.1:{demo.http_port}" in output
    assert f"{USERNAME} / {PASSWORD}" in output
    assert f"/{DASHBOARD_PATH}/show" in output
    assert [e["state"] for e in demo.hass.entries("mqtt")] == ["loaded"]
    entries = {e["title"]: e["state"] for e in demo.hass.entries("propnet")}
    assert entries == {"PropNet": "loaded", "Show lighting": "loaded"}

    def live() -> bool:
        states = demo.hass.states()
        needed = (
            "switch.coffin_jumper_lid",
            "number.talking_skull_jaw",
            "light.rgb_receiver_strip",
            "sensor.rgb_sender_commands_sent",
            "light.show_lighting",
        )
        return all(
            states.get(e, {}).get("state") not in (None, "unavailable") for e in needed
        )

    wait_until(live, 60, "the props and lighting being available", 0.5)
    assert demo.state("sensor.show_lighting_enttec_output")["state"] == "connected"  # type: ignore[index]
    if ola_installed():
        assert demo.state("sensor.show_lighting_ola_output")["state"] == "connected"  # type: ignore[index]

    # The sender's simulated knobs turn for 8 s each minute: the show's
    # colour moves, then rests.
    def colour() -> object:
        state = demo.state("light.show_lighting") or {}
        return state.get("attributes", {}).get("rgb_color")  # type: ignore[union-attr]

    first = wait_until(colour, 75, "a show colour", 0.2)
    wait_until(lambda: colour() not in (None, first), 75, "the colour to change", 0.2)
    history = [(time.monotonic(), colour())]

    def resting() -> bool:
        now, seen = time.monotonic(), colour()
        if seen != history[-1][1]:
            history.append((now, seen))
        return now - history[-1][0] >= 3

    wait_until(resting, 30, "the knobs to rest", 0.2)
    # A colour picked in Home Assistant now holds until the knobs turn again.
    demo.hass.post(
        "/api/services/light/turn_on",
        {"entity_id": "light.show_lighting", "rgb_color": [255, 0, 128]},
    )
    wait_until(lambda: colour() == [255, 0, 128], 10, "the picked colour", 0.2)
    time.sleep(15)
    assert colour() == [255, 0, 128]


def test_the_dashboard_shows_the_live_show_and_a_click_reaches_a_prop(
    demo: Demo, tmp_path: Path
) -> None:
    """Headless Chromium: every card renders with live state; Scare runs the prop's sequence."""
    before = int(demo.state("sensor.coffin_jumper_triggers")["state"])  # type: ignore[index,arg-type]
    shot = tmp_path / "dashboard.png"
    result = subprocess.run(
        [
            "node",
            str(REPO / "tests" / "browser" / "dashboard.mjs"),
            str(BROWSER_MODULES),
            f"{demo.hass.url}/{DASHBOARD_PATH}/show",
            USERNAME,
            PASSWORD,
            str(shot),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, result.stdout + result.stderr
    report = json.loads(lines[0][len("REPORT ") :])
    assert report["errors"] == [], report
    assert report["cards"] == {
        "hui-heading-card": 5,
        "hui-button-card": 2,
        "hui-tile-card": 17,
        "hui-light-card": 1,
        "hui-entities-card": 1,
        "hui-glance-card": 1,
        "hui-markdown-card": 1,
        "hui-media-control-card": 1,
    }
    tiles = report["texts"]["hui-tile-card"]
    assert any(t.startswith("Coffin Jumper Lid") for t in tiles), tiles
    # The prop's own entities in the user's language: the mode's label.
    assert any(t.startswith("Coffin Jumper Mode Armed") for t in tiles), tiles
    assert any(t.startswith("Crypt Armed") for t in tiles), tiles
    assert "8 seconds each minute" in report["texts"]["hui-markdown-card"][0]
    for text in [*tiles, *report["texts"]["hui-entities-card"]]:
        assert "Unavailable" not in text, text
        # Only the event tile may be unknown: no scare has happened yet.
        assert "Unknown" not in text or text.startswith("Last scare"), text
    assert report["texts"]["hui-button-card"] == ["Scare", "Speak"]
    assert "Enttec output Connected" in report["texts"]["hui-entities-card"][0]

    # The click reached the coffin jumper: its sequence counted a scare.
    wait_until(
        lambda: int(demo.state("sensor.coffin_jumper_triggers")["state"]) > before,  # type: ignore[index,arg-type]
        20,
        "the scare to be counted",
        0.2,
    )
    assert shot.stat().st_size > 10_000
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)


def test_ctrl_c_stops_everything(demo: Demo) -> None:
    """Ctrl-C ends the props, olad, Home Assistant and the broker, and cleans up."""
    demo.process.send_signal(signal.SIGINT)
    demo.process.wait(90)
    output = demo.log.read_text()
    assert demo.process.returncode == 0, output
    assert not port_open(demo.http_port)
    assert not port_open(demo.mqtt_port)
    assert not (demo.runtime / "pids").exists()
    assert "stopping Home Assistant, the props, olad and mosquitto" in output
    # Home Assistant went first: its outputs did not vanish under it.
    hass_log = (demo.runtime / "config" / "hass.out").read_text(errors="replace")
    vanished = [
        line
        for line in hass_log.splitlines()
        if "DMX USB Pro on" in line or ("OLA at" in line and "unreachable" in line)
    ]
    assert vanished == [], vanished
