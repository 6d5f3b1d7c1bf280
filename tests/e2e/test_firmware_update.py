"""Updating a prop from Home Assistant: the coffin jumper on MicroPython, a real hass and broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import hashlib
import json
from pathlib import Path
import shutil
from typing import Any

import pytest
import pytest_socket

from propnet_tool.contract import transfer
from propnet_tool.schema import firmware_version
from propnet_tool.simulate import prepare
from tests.harness.firmware_stack import FirmwareStack
from tests.harness.virtual_prop import PROPS
from tests.harness.ws import HassWebSocket

FIRMWARE = "update.coffin_jumper_firmware"
NOTES = "Faster lid.\nThe eyes glow longer."


class UpdateStack(FirmwareStack):
    """The firmware stack, with builds put where Home Assistant looks for them."""

    @property
    def builds(self) -> Path:
        """Return the coffin jumper's firmware folder in Home Assistant's config."""
        return self.hass.config / "propnet" / "firmware" / "coffin_jumper"

    def build(self, version: str, name: str, *, broken: bool = False) -> None:
        """Put a build of the coffin jumper, renamed and versioned, in the firmware folder."""
        config = self.folder / f"{version}.yaml"
        text = (PROPS / "coffin_jumper.yaml").read_text()
        text = text.replace(
            "name: Coffin Jumper", f"name: {name}\n  sw_version: {version}"
        )
        config.write_text(text)
        shutil.copy(PROPS / "secrets.yaml", self.folder / "secrets.yaml")
        prepare(config, self.builds, self.broker.host, self.broker.port)
        if broken:
            node = self.builds / "lib" / "propnet" / "node.py"
            node.write_text('raise ImportError("broken on purpose")\n')
            manifest = self.builds / "manifest.json"
            files = json.loads(manifest.read_text())
            files["lib/propnet/node.py"] = hashlib.sha256(node.read_bytes()).hexdigest()
            manifest.write_text(json.dumps(files))
        transfer.write_release(self.builds, "coffin_jumper", version, NOTES)

    def state(self) -> dict[str, Any]:
        """Return the update entity's state."""
        return self.hass.states()[FIRMWARE]

    def wait_firmware(self, want: str, timeout: float = 30) -> dict[str, Any]:
        """Wait until the update entity is ``want``."""
        return self.wait_state(FIRMWARE, want, timeout)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpdateStack]:
    """Start one stack for this module's stories, which run in order."""
    pytest_socket.enable_socket()
    started = UpdateStack(tmp_path_factory.mktemp("update"))
    yield started
    started.stop()


async def _install(stack: UpdateStack) -> tuple[list[Any], str | None]:
    """Install through the websocket as the UI does; return the progress seen and any error."""
    progress: list[Any] = []
    async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
        await ws.command(
            "subscribe_trigger",
            trigger={
                "platform": "state",
                "entity_id": FIRMWARE,
                "attribute": "update_percentage",
            },
        )
        call = await ws.send(
            "call_service",
            domain="update",
            service="install",
            target={"entity_id": FIRMWARE},
        )
        while True:
            message = await asyncio.wait_for(ws.receive(), 240)
            if message.get("type") == "event":
                to = message["event"]["variables"]["trigger"]["to_state"]
                progress.append(to["attributes"]["update_percentage"])
            elif message.get("id") == call:
                break
        error = None if message["success"] else str(message["error"])
    return progress, error


def test_the_update_entity_shows_the_installed_version(stack: UpdateStack) -> None:
    """No build waiting: the firmware the prop announces, up to date."""
    firmware = stack.wait_firmware("off")
    assert firmware["attributes"]["installed_version"] == firmware_version()
    assert firmware["attributes"]["latest_version"] == firmware_version()


def test_a_new_build_makes_an_update_available(stack: UpdateStack) -> None:
    """A build in <config>/propnet/firmware/coffin_jumper: update available, with its notes."""
    stack.build("9.0.0", "Coffin Jumper Nine")
    stack.hass.post(
        "/api/services/homeassistant/update_entity", {"entity_id": FIRMWARE}
    )
    firmware = stack.wait_firmware("on")
    assert firmware["attributes"]["latest_version"] == "9.0.0"
    assert firmware["attributes"]["release_summary"] == "Faster lid."

    async def notes() -> Any:
        async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
            return await ws.command("update/release_notes", entity_id=FIRMWARE)

    assert asyncio.run(notes()) == NOTES


def test_install_moves_progress_and_ends_on_the_new_version(stack: UpdateStack) -> None:
    """Install: progress climbs while chunks go out; the prop comes back with 9.0.0."""
    progress, error = asyncio.run(_install(stack))
    assert error is None
    numbers = [p for p in progress if p is not None]
    assert len(numbers) > 5, progress
    assert numbers == sorted(numbers), progress
    assert 0 < numbers[len(numbers) // 2] < 100, progress
    firmware = stack.wait_firmware("off")
    assert firmware["attributes"]["installed_version"] == "9.0.0"
    assert firmware["attributes"]["last_install"] == "kept 9.0.0"
    assert firmware["attributes"]["in_progress"] is False
    lid = stack.hass.states()["switch.coffin_jumper_lid"]
    assert lid["attributes"]["friendly_name"] == "Coffin Jumper Nine Lid"


def test_a_build_that_never_comes_online_rolls_back(stack: UpdateStack) -> None:
    """A runtime that fails to start: the prop rolls back, the entity says so."""
    stack.build("10.0.0", "Coffin Jumper Ten", broken=True)
    stack.hass.post(
        "/api/services/homeassistant/update_entity", {"entity_id": FIRMWARE}
    )
    stack.wait_firmware("on")
    _, error = asyncio.run(_install(stack))
    assert error is not None
    assert "rolled the update back: the new firmware did not stay online" in error
    firmware = stack.wait_firmware("on")
    assert firmware["attributes"]["installed_version"] == "9.0.0"
    assert firmware["attributes"]["last_install"] == (
        "rolled back: the new firmware did not stay online"
    )


def test_an_offline_prop_cannot_be_updated(stack: UpdateStack) -> None:
    """Power off: Install fails at once with a message saying the prop is offline."""
    stack.prop.kill()
    stack.hass.wait_state(
        "switch.coffin_jumper_lid", "unavailable", 30, stack.prop.tail()
    )
    _, error = asyncio.run(_install(stack))
    assert error is not None
    assert "is offline, so it cannot take commands" in error
    assert stack.state()["attributes"]["in_progress"] is False
