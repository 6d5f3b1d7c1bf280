"""A prop's log in a real Home Assistant: watched live, and lines from while it was offline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
import time
from typing import Any

import pytest

from tests.e2e.conftest import RUN
from tests.harness.broker import Broker
from tests.harness.hass import Hass
from tests.harness.virtual_prop import VirtualProp
from tests.harness.ws import HassWebSocket


class LogStack:
    """A broker, Home Assistant with PropNet, and the coffin jumper running its firmware."""

    def __init__(self, folder: Path) -> None:
        """Start everything."""
        self.broker = Broker(folder / "broker").start()
        self.hass = Hass(folder / "hass", RUN).prepare().start()
        self.hass.ensure_mqtt(self.broker.host, self.broker.port)
        result = self.hass.config_flow(
            "propnet", {"next_step_id": "props"}, {"prefix": "propnet"}
        )
        assert result["type"] == "create_entry", result
        self.prop = VirtualProp(
            "coffin_jumper", folder / "flash", self.broker.host, self.broker.port
        ).start()
        self.hass.wait_state("switch.coffin_jumper_lid", "off", 30, self.prop.tail())

    def stop(self) -> None:
        """Stop the prop, hass and the broker."""
        self.prop.stop()
        self.hass.stop()
        self.broker.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LogStack]:
    """Start one stack for this module."""
    import pytest_socket

    pytest_socket.enable_socket()
    running = LogStack(tmp_path_factory.mktemp("logs"))
    yield running
    running.stop()


async def _watch(stack: LogStack, act: Any, want: str, within: float) -> list[str]:
    """Subscribe to the prop's log, do ``act()``, and return the lines up to one containing ``want``."""
    async with HassWebSocket(stack.hass.url, stack.hass.token) as ws:
        devices = await ws.command("config/device_registry/list")
        device = next(
            d
            for d in devices
            if ["propnet", "propnet/coffin_jumper"] in d["identifiers"]
        )
        await ws.command("propnet/log/subscribe", device_id=device["id"])
        act()
        seen: list[str] = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(ws.receive(), 1)
            except TimeoutError:
                continue
            if message.get("type") == "event":
                seen.append(message["event"]["msg"])
                if want in seen[-1]:
                    return seen
        raise AssertionError(f"no line with {want!r}: {seen}")


def test_identify_shows_up_in_the_live_log(stack: LogStack) -> None:
    """Pressing Identify: the prop's own "identify" line arrives over the websocket."""
    lines = asyncio.run(
        _watch(
            stack,
            lambda: stack.hass.post(
                "/api/services/button/press",
                {"entity_id": "button.coffin_jumper_identify"},
            ),
            "identify",
            20,
        )
    )
    assert lines[-1] == "identify"


def test_lines_logged_while_the_broker_was_away_arrive_when_it_is_back(
    stack: LogStack,
) -> None:
    """The broker restarts: the prop's warning about it comes afterwards, marked as offline."""

    def bounce() -> None:
        stack.broker.stop()
        time.sleep(3)
        stack.broker.start()

    lines = asyncio.run(_watch(stack, bounce, "(while offline)", 90))
    assert "(while offline) broker connection lost" in lines[-1], lines
