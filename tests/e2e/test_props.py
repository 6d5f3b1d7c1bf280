"""A scripted prop on a real broker becomes a working device in a real Home Assistant."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RUN
from tests.harness.broker import Broker
from tests.harness.hass import Hass
from tests.harness.procs import Process, python_module, wait_until
from tests.harness.ws import HassWebSocket, WebSocketError

LID = "switch.coffin_jumper_lid"


class Stack:
    """A broker, Home Assistant with a PropNet entry, and one scripted prop."""

    def __init__(self, folder: Path) -> None:
        """Start the broker and hass and add PropNet; the prop starts later."""
        self.folder = folder
        self.broker = Broker(folder / "broker").start()
        self.hass = Hass(folder / "hass", RUN).prepare().start()
        self.hass.ensure_mqtt(self.broker.host, self.broker.port)
        result = self.hass.config_flow(
            "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
        )
        assert result["type"] == "create_entry", result
        self.prop = self.new_prop()

    def new_prop(self) -> Process:
        """Return the scripted coffin jumper (not started)."""
        return python_module(
            "scripted prop",
            "tests.harness.scripted_prop",
            ["--port", str(self.broker.port)],
            self.folder / "prop.log",
        )

    def state(self, entity_id: str) -> dict[str, Any] | None:
        """Return an entity's state through the REST API, or None."""
        return self.hass.states().get(entity_id)

    def wait_state(
        self, entity_id: str, state: str, timeout: float = 20
    ) -> dict[str, Any]:
        """Wait until ``entity_id`` has ``state``."""
        return self.hass.wait_state(entity_id, state, timeout, self.prop.tail())

    def commands(self) -> list[dict[str, Any]]:
        """Return the commands the prop received, from its log."""
        return [
            json.loads(line.split(" ", 1)[1])
            for line in self.prop.log.read_text().splitlines()
            if line.startswith("command ")
        ]

    def stop(self) -> None:
        """Stop the prop, hass and the broker."""
        self.prop.stop()
        self.hass.stop()
        self.broker.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Start a stack for this module's stories, which run in order."""
    import pytest_socket

    pytest_socket.enable_socket()
    running = Stack(tmp_path_factory.mktemp("props"))
    yield running
    running.stop()


def test_the_prop_appears_with_its_entities(stack: Stack) -> None:
    """Power the prop: its device and entities appear, no YAML."""
    stack.prop.start()
    lid = stack.wait_state(LID, "off")
    assert lid["attributes"]["friendly_name"] == "Coffin Jumper Lid"
    states = stack.hass.states()
    for entity_id in (
        "button.coffin_jumper_scare",
        "binary_sensor.coffin_jumper_motion",
        "light.coffin_jumper_eyes",
        "number.coffin_jumper_delay",
        "select.coffin_jumper_mode",
        "event.coffin_jumper_scared",
        "button.coffin_jumper_identify",
    ):
        assert entity_id in states, entity_id
    assert states["sensor.coffin_jumper_triggers"]["state"] == "0"


def test_a_service_call_reaches_the_prop_and_state_follows(stack: Stack) -> None:
    """Turning the lid on sends a command, the prop acks, its status updates HA."""
    stack.hass.post("/api/services/switch/turn_on", {"entity_id": LID})
    stack.wait_state(LID, "on")
    command = stack.commands()[-1]
    assert command["action"] == "set"
    assert command["value"] is True
    assert len(command["correlation_id"]) == 26

    stack.hass.post(
        "/api/services/light/turn_on",
        {"entity_id": "light.coffin_jumper_eyes", "rgb_color": [0, 0, 255]},
    )
    eyes = stack.wait_state("light.coffin_jumper_eyes", "on")
    assert eyes["attributes"]["rgb_color"] == [0, 0, 255]


async def test_pressing_scare_fires_the_event(stack: Stack) -> None:
    """The Scare button runs the prop's sequence, which fires its event."""
    async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
        await ws.command("subscribe_events", event_type="propnet_event")
        stack.hass.post(
            "/api/services/button/press", {"entity_id": "button.coffin_jumper_scare"}
        )
        while True:
            message = await ws.receive()
            if message.get("type") == "event":
                break
    data = message["event"]["data"]
    assert (data["prop_id"], data["key"], data["type"]) == (
        "coffin_jumper",
        "scared",
        "scare",
    )
    assert data["data"] == {"count": 1}
    stack.wait_state("sensor.coffin_jumper_triggers", "1")
    scared = stack.state("event.coffin_jumper_scared")
    assert scared is not None
    assert scared["attributes"]["event_type"] == "scare"


async def test_send_command_returns_the_ack(stack: Stack) -> None:
    """propnet.send_command answers with the prop's ack; a refusal is an error."""
    devices = stack.hass.post(
        "/api/template",
        {"template": "{{ device_id('switch.coffin_jumper_lid') }}"},
    )
    device_id = devices if isinstance(devices, str) else None
    assert device_id
    response = stack.hass.post(
        "/api/services/propnet/send_command?return_response",
        {"device_id": device_id, "action": "ping"},
    )
    acks = response["service_response"]["acks"]
    assert acks[0]["ok"] is True
    assert acks[0]["prop_id"] == "coffin_jumper"

    async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
        with pytest.raises(WebSocketError) as err:
            await ws.command(
                "call_service",
                domain="propnet",
                service="send_command",
                service_data={"device_id": device_id, "action": "dance"},
            )
    assert 'Coffin Jumper refused "dance": unsupported_action' in str(err.value)


async def test_a_user_who_is_not_an_administrator_cannot_restart_or_flash_a_prop(
    stack: Stack,
) -> None:
    """Refused with PropNet's words before anything reaches the prop; the admin still can."""
    if not stack.prop.running:
        stack.prop.start()
    wait_until(
        lambda: (stack.state(LID) or {}).get("state") in ("on", "off"), 20, "the prop"
    )
    async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
        created = await ws.command(
            "config/auth/create", name="Visitor", group_ids=["system-users"]
        )
        await ws.command(
            "config/auth_provider/homeassistant/create",
            user_id=created["user"]["id"],
            username="visitor",
            password="visitor-pass",  # noqa: S106 - a throwaway test user
        )
    token = stack.hass.login("visitor", "visitor-pass")["access_token"]
    device_id = stack.hass.post(
        "/api/template", {"template": "{{ device_id('switch.coffin_jumper_lid') }}"}
    )
    before = len(stack.commands())
    async with HassWebSocket(stack.hass.url, token) as ws:
        for action in ("reboot", "update_begin", "update_commit"):
            with pytest.raises(WebSocketError) as err:
                await ws.command(
                    "call_service",
                    domain="propnet",
                    service="send_command",
                    service_data={"device_id": device_id, "action": action},
                )
            assert f"Only an administrator can send {action}" in str(err.value)
        with pytest.raises(WebSocketError) as err:
            await ws.command("propnet/log/subscribe", device_id=device_id)
        assert "unauthorized" in str(err.value).lower()
        # Everything else stays open to every user.
        await ws.command(
            "call_service",
            domain="propnet",
            service="send_command",
            service_data={"device_id": device_id, "action": "ping"},
        )
    async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
        await ws.command("propnet/log/subscribe", device_id=device_id)
    assert [c["action"] for c in stack.commands()[before:]] == ["ping"]
    assert "Unexpected exception" not in stack.hass.process.log.read_text()


def test_the_last_will_makes_the_prop_unavailable(stack: Stack) -> None:
    """A prop that loses power is unavailable; powered again, it is back."""
    stack.prop.kill()
    stack.wait_state(LID, "unavailable")
    stack.prop = stack.new_prop().start()
    stack.wait_state(LID, "off")


def test_a_broker_restart_heals_without_the_user(stack: Stack) -> None:
    """Broker down: unavailable. Broker back: available again, nobody touches anything."""
    stack.broker.stop()
    stack.wait_state(LID, "unavailable")
    stack.broker.start()
    stack.wait_state(LID, "off", timeout=40)


def test_a_home_assistant_restart_keeps_the_prop(stack: Stack) -> None:
    """After a restart the device and its entities are there and working."""
    stack.hass.restart()
    stack.wait_state(LID, "off", timeout=30)
    stack.hass.post("/api/services/switch/turn_on", {"entity_id": LID})
    stack.wait_state(LID, "on")
