"""What a new user sees, in headless Chromium: the coffin jumper's device page, its Firmware dialog, a refused Scare, and show lighting's options.

A real hass and broker, the coffin jumper running PropNet's firmware on
MicroPython, and show lighting. The screenshots go to .run/screenshots, or
to docs/images with PROPNET_SCREENSHOTS=docs/images (docs/development.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import os
from pathlib import Path
import shutil
import subprocess
from typing import Any

import pytest
import pytest_socket

from tests.e2e.test_firmware_update import FIRMWARE, NOTES, UpdateStack
from tests.harness.hass import PASSWORD, REPO, USERNAME
from tests.harness.procs import wait_until
from tests.harness.ws import HassWebSocket

BROWSER_MODULES = REPO / ".run" / "browser"
SHOTS = REPO / os.environ.get("PROPNET_SCREENSHOTS", ".run/screenshots")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpdateStack]:
    """Start the coffin jumper on MicroPython, PropNet and show lighting in a real hass."""
    pytest_socket.enable_socket()
    started = UpdateStack(tmp_path_factory.mktemp("pages"))
    result = started.hass.config_flow(
        "propnet", {"next_step_id": "lighting"}, {"base": "v1/demo/rgb"}
    )
    assert result["type"] == "create_entry", result
    started.wait_firmware("off", 60)
    started.wait_state("select.coffin_jumper_mode", "armed")
    # The uptime's first reading comes 10 s after the prop starts.
    wait_until(
        lambda: (
            started.hass.states()["sensor.coffin_jumper_last_restart"]["state"]
            not in ("unknown", "unavailable")
        ),
        30,
        "the prop's first uptime reading",
    )
    yield started
    started.stop()


def device_id(stack: UpdateStack) -> str:
    """Return the coffin jumper's device id."""

    async def devices() -> list[dict[str, Any]]:
        async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
            found: list[dict[str, Any]] = await ws.command(
                "config/device_registry/list"
            )
            return found

    (device,) = [d for d in asyncio.run(devices()) if d["name"] == "Coffin Jumper"]
    return str(device["id"])


def browse(stack: UpdateStack, folder: Path, *steps: str) -> dict[str, Any]:
    """Run the browser through ``steps``; return what each saw."""
    result = subprocess.run(
        [
            "node",
            str(REPO / "tests" / "browser" / "pages.mjs"),
            str(BROWSER_MODULES),
            stack.hass.url,
            USERNAME,
            PASSWORD,
            device_id(stack),
            str(folder),
            *steps,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert lines, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(lines[0][len("REPORT ") :])
    assert report["errors"] == [], report
    SHOTS.mkdir(parents=True, exist_ok=True)
    for shot in folder.glob("*.png"):
        assert shot.stat().st_size > 10_000, shot
        shutil.copyfile(shot, SHOTS / shot.name)
    return report["steps"]


def test_a_new_user_walks_the_device_page(stack: UpdateStack, tmp_path: Path) -> None:
    """The model has a name, the Firmware dialog loads, a second Scare is refused in a toast, the log stays clean."""
    seen = browse(stack, tmp_path, "device", "firmware", "scare_twice", "options")
    assert "Coffin jumper" in seen["device"]["info"]
    assert "by PropNet" in seen["device"]["info"]

    # Up to date: the dialog finishes loading and says so.
    firmware = seen["firmware"]
    assert "Installed version" in firmware["text"]
    assert firmware["text"].count(stack.state()["attributes"]["installed_version"]) == 2

    # The sequence runs for seconds and then cools down: the second press is
    # refused, and the user is told why. The only error the page saw is that
    # refusal, a validation error (Home Assistant's row does not catch it).
    scare = seen["scare_twice"]
    assert "refused" in scare["toast"]
    assert "busy" in scare["toast"]
    assert [r["code"] for r in scare["rejections"]] == ["service_validation_error"]
    assert len(scare["page_errors"]) == 1
    for step in ("device", "firmware", "options"):
        assert seen[step]["page_errors"] == [], seen[step]

    assert "Add a fixture" in seen["options"]["menu"], seen["options"]
    sections = seen["options"]["sections"]
    headers = [
        "Fixtures",
        "Enttec DMX USB Pro",
        "OLA",
        "sACN and Art-Net",
        "Inputs",
        "Advanced",
    ]
    assert len(sections) == len(headers), sections
    for section, header in zip(sections, headers, strict=True):
        assert section["text"].startswith(header), section
    assert [s["expanded"] for s in sections] == [True] * 5 + [False]

    log = (stack.hass.config / "home-assistant.log").read_text(errors="replace")
    assert "Unexpected exception" not in log
    # (Home Assistant's camera warns with a traceback of its own when libturbojpeg is missing.)
    assert "custom_components/propnet" not in log
    assert [
        line for line in log.splitlines() if "ERROR" in line and "propnet" in line
    ] == []


def test_the_firmware_dialog_of_an_offered_update_loads_its_notes(
    stack: UpdateStack, tmp_path: Path
) -> None:
    """A build waiting: the dialog shows both versions and the release notes, no endless spinner."""
    stack.build("9.0.0", "Coffin Jumper Nine")
    stack.hass.post(
        "/api/services/homeassistant/update_entity", {"entity_id": FIRMWARE}
    )
    stack.wait_firmware("on")
    seen = browse(stack, tmp_path, f"firmware={NOTES.splitlines()[0]}")
    assert seen["firmware"]["page_errors"] == []
    text = seen["firmware"]["text"]
    assert "9.0.0" in text
    assert NOTES.splitlines()[0] in text
    assert NOTES.splitlines()[1] in text
