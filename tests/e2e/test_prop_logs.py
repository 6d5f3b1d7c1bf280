"""A prop's log in a real Home Assistant: watched live, and lines from while it was offline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import time
from typing import Any

import pytest

from tests.harness.firmware_stack import FirmwareStack, running
from tests.harness.ws import HassWebSocket


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirmwareStack]:
    """Start one stack for this module, with the coffin jumper online."""
    with running(tmp_path_factory, proxied=True) as started:
        started.wait_state("switch.coffin_jumper_lid", "off")
        yield started


async def _watch(stack: FirmwareStack, act: Any, want: str, within: float) -> list[str]:
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


def test_identify_shows_up_in_the_live_log(stack: FirmwareStack) -> None:
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


def test_lines_logged_while_the_prop_was_offline_arrive_when_it_is_back(
    stack: FirmwareStack,
) -> None:
    """The prop's link drops for 3 s: its warning about it comes afterwards, marked as offline."""
    proxy = stack.proxy
    assert proxy is not None

    def bounce() -> None:
        proxy.cut()
        time.sleep(3)
        proxy.heal()

    lines = asyncio.run(_watch(stack, bounce, "(while offline)", 90))
    assert "(while offline) broker connection lost" in lines[-1], lines
