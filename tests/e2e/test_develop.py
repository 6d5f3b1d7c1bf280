"""The README's first command: scripts/develop runs the real thing and stops cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path
import signal
import subprocess
import sys

from tests.harness.hass import REPO, Hass
from tests.harness.procs import free_port, port_open, wait_until
from tests.harness.ws import HassWebSocket


def test_develop_serves_home_assistant_with_a_prop_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    """Home Assistant answers, MQTT is set up, the prop is offered, Ctrl-C ends all."""
    http_port, mqtt_port = free_port(), free_port()
    log = tmp_path / "develop.log"
    with log.open("wb") as out:
        develop = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.harness.develop",
                "--port",
                str(http_port),
                "--mqtt-port",
                str(mqtt_port),
                "--runtime",
                str(tmp_path / "run"),
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: (
                "press Ctrl-C to stop" in log.read_text() or develop.poll() is not None
            ),
            120,
            "scripts/develop becoming ready",
            0.2,
        )
        output = log.read_text()
        assert develop.poll() is None, output
        assert f"http://127.0.0.1:{http_port}" in output
        assert "propnet / propnet" in output

        hass = Hass(
            tmp_path / "run" / "config", REPO / ".run" / "cache", port=http_port
        )
        mqtt = hass.entries("mqtt")
        assert [e["state"] for e in mqtt] == ["loaded"]

        async def offered() -> list[dict[str, object]]:
            async with HassWebSocket(hass.url, hass.token) as ws:
                flows = await ws.command("config_entries/flow/progress")
            return [f for f in flows if f["handler"] == "propnet"]

        flows = wait_until(
            lambda: asyncio.run(offered()), 30, "PropNet being offered", 0.5
        )
        names = {f["context"]["title_placeholders"]["name"] for f in flows}
        assert "Coffin Jumper" in names
    finally:
        develop.send_signal(signal.SIGINT)
        develop.wait(90)
    assert develop.returncode == 0, log.read_text()
    assert not port_open(http_port)
    assert not port_open(mqtt_port)
    assert not (tmp_path / "run" / "pids").exists()
    assert "stopping the props, Home Assistant and mosquitto" in log.read_text()
