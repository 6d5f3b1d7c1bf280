"""Every PropNet device's page in a real Home Assistant: triggers, diagnostics, actions, delete.

The story a new user tried: PropNet with the coffin jumper and show lighting
set up, each device page opened, its diagnostics downloaded, each picked in
propnet.send_command and deleted. Also a prop sending bytes that are not
UTF-8: PropNet counts the drop, and Home Assistant's MQTT client does not
warn for PropNet's own subscriptions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import time
from typing import Any

from paho.mqtt import client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
import pytest

from tests.e2e.conftest import RUN
from tests.harness.broker import Broker
from tests.harness.hass import Hass
from tests.harness.procs import Process, python_module, wait_until
from tests.harness.ws import HassWebSocket, WebSocketError


class Show:
    """A broker, Home Assistant with a props entry and show lighting, and one prop."""

    def __init__(self, folder: Path) -> None:
        """Start everything and wait for the prop's device."""
        self.broker = Broker(folder / "broker").start()
        self.hass = Hass(folder / "hass", RUN).prepare().start()
        self.hass.ensure_mqtt(self.broker.host, self.broker.port)
        for step in ({"prefix": "propnet"}, {"base": "v1/demo/rgb"}):
            kind = "props" if "prefix" in step else "lighting"
            result = self.hass.config_flow("propnet", {"next_step_id": kind}, step)
            assert result["type"] == "create_entry", result
        self.prop: Process = python_module(
            "scripted prop",
            "tests.harness.scripted_prop",
            ["--port", str(self.broker.port)],
            folder / "prop.log",
        ).start()
        self.hass.wait_state("switch.coffin_jumper_lid", "off", 30, self.prop.tail())

    def entry_id(self, kind: str) -> str:
        """Return the id of the PropNet entry of ``kind`` (props or lighting)."""
        for entry in self.hass.entries("propnet"):
            if ("lighting" in entry["title"]) == (kind == "lighting"):
                return str(entry["entry_id"])
        raise AssertionError(f"no {kind} entry")

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish one message as a stray client would."""
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.connect(self.broker.host, self.broker.port)
        client.loop_start()
        client.publish(topic, payload, qos=1).wait_for_publish(5)
        client.loop_stop()
        client.disconnect()

    def stop(self) -> None:
        """Stop the prop, hass and the broker."""
        self.prop.stop()
        self.hass.stop()
        self.broker.stop()


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Show]:
    """Start the show for this module's stories, which run in order."""
    import pytest_socket

    pytest_socket.enable_socket()
    running = Show(tmp_path_factory.mktemp("pages"))
    yield running
    running.stop()


async def device_ids(show: Show) -> dict[str, str]:
    """Return the PropNet devices' ids by name."""
    async with HassWebSocket(show.hass.url, show.hass.token) as ws:
        devices = await ws.command("config/device_registry/list")
    return {
        d["name"]: d["id"]
        for d in devices
        if any(identifier[0] == "propnet" for identifier in d["identifiers"])
    }


def diagnostics(show: Show, entry_id: str, device_id: str | None = None) -> Any:
    """Download an entry's or a device's diagnostics as the UI's button does.

    An error answer (the HTTP 500 the issue saw) raises HassError.
    """
    path = f"/api/diagnostics/config_entry/{entry_id}"
    return show.hass.get(path if device_id is None else f"{path}/device/{device_id}")


async def test_each_device_page_works(show: Show) -> None:
    """Triggers, diagnostics and send_command on the prop and on show lighting."""
    ids = await device_ids(show)
    coffin, lights = ids["Coffin Jumper"], ids["Show lighting"]
    async with HassWebSocket(show.hass.url, show.hass.token) as ws:
        triggers = await ws.command("device_automation/trigger/list", device_id=coffin)
        assert {
            (t["subtype"], t["type"]) for t in triggers if t["domain"] == "propnet"
        } == {
            ("scared", "scare"),
            ("scared", "abort"),
        }
        triggers = await ws.command("device_automation/trigger/list", device_id=lights)
        assert [t for t in triggers if t["domain"] == "propnet"] == []
        with pytest.raises(WebSocketError) as err:
            await ws.command(
                "call_service",
                domain="propnet",
                service="send_command",
                service_data={"device_id": lights, "action": "ping"},
            )
        assert "Show lighting is show lighting, not a prop" in str(err.value)
    data = diagnostics(show, show.entry_id("props"), coffin)
    assert data["data"]["prop_id"] == "coffin_jumper"
    data = diagnostics(show, show.entry_id("lighting"), lights)
    assert data["data"]["base"] == "v1/demo/rgb"
    response = show.hass.post(
        "/api/services/propnet/send_command?return_response",
        {"device_id": coffin, "action": "ping"},
    )
    assert response["service_response"]["acks"][0]["ok"] is True


def test_bytes_that_are_not_utf8_are_propnets_counted_drop(show: Show) -> None:
    """No "Can't decode payload" from Home Assistant for PropNet's subscriptions."""
    show.publish("propnet/coffin_jumper/status", b"\xff\xfe")
    show.publish("v1/demo/rgb/cmd", b"\xff\xfe")

    def counted() -> bool:
        data = diagnostics(show, show.entry_id("props"))
        return bool(data["data"]["dropped"]["by_reason"].get("not_utf8") == 1)

    wait_until(counted, 10, "the props hub counting the drop")
    lighting = diagnostics(show, show.entry_id("lighting"))
    assert lighting["data"]["stats"]["rejected_by_reason"] == {"not_utf8": 1}
    time.sleep(0.5)
    log = show.hass.process.log.read_text(errors="replace")
    assert "Can't decode payload" not in log

    # On the announce topic Home Assistant's own MQTT discovery (the
    # manifest's "mqtt" topic, which starts PropNet's set-up flow) also
    # listens, for text; that warning is Home Assistant's, PropNet's side is
    # its counted drop.
    show.publish("propnet/stray/announce", b"\xff\xfe")
    wait_until(
        lambda: (
            diagnostics(show, show.entry_id("props"))["data"]["dropped"][
                "by_reason"
            ].get("not_utf8")
            == 2
        ),
        10,
        "the announce's drop",
    )
    time.sleep(0.5)
    warnings = [
        line
        for line in show.hass.process.log.read_text(errors="replace").splitlines()
        if "Can't decode payload" in line
    ]
    assert len(warnings) == 1
    assert "async_integration_message_received" in warnings[0]


async def test_deleting_each_device(show: Show) -> None:
    """The prop's device can be deleted; show lighting's says no while loaded."""
    ids = await device_ids(show)
    async with HassWebSocket(show.hass.url, show.hass.token) as ws:
        with pytest.raises(WebSocketError):
            await ws.command(
                "config/device_registry/remove_config_entry",
                device_id=ids["Show lighting"],
                config_entry_id=show.entry_id("lighting"),
            )
        show.prop.stop()  # a powered prop would announce itself again
        await ws.command(
            "config/device_registry/remove_config_entry",
            device_id=ids["Coffin Jumper"],
            config_entry_id=show.entry_id("props"),
        )
    remaining = await device_ids(show)
    assert set(remaining) == {"Show lighting"}
