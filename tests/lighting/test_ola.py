"""The OLA output against a real olad: values read back, olad stopped and started."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.propnet.lighting.outputs.ola import OlaOutput, OlaStatus
from tests.harness.olad import Olad


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Open an HTTP session, as Home Assistant's shared one would be."""
    async with aiohttp.ClientSession() as client:
        yield client


async def until(check: object, seconds: float = 10) -> None:
    """Wait for ``check()`` to be true."""
    assert callable(check)
    async with asyncio.timeout(seconds):
        while not check():  # noqa: ASYNC110 - olad is another process; poll it
            await asyncio.sleep(0.05)


async def test_frames_reach_olad(olad: Olad, session: aiohttp.ClientSession) -> None:
    """The whole universe is sent; olad holds the newest values."""
    statuses: list[OlaStatus] = []
    output = OlaOutput(session, olad.url, fps=44, on_status=statuses.append)
    task = asyncio.create_task(output.run())
    try:
        for value in range(1, 30):
            output.update(bytes([value, 2 * value, 3 * value]))
            await asyncio.sleep(0.002)
        await until(lambda: olad.dmx()[:3] == [29, 58, 87])
        assert len(olad.dmx()) == 512
        assert statuses == [OlaStatus.CONNECTED]
        # Newest wins: far fewer requests than updates.
        assert output.requests < 29
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_show_goes_on_without_olad(
    olad: Olad, session: aiohttp.ClientSession
) -> None:
    """With olad stopped the status says so and nothing breaks; back, output resumes."""
    statuses: list[OlaStatus] = []
    output = OlaOutput(session, olad.url, on_status=statuses.append)
    task = asyncio.create_task(output.run())
    try:
        output.update(bytes([1, 1, 1]))
        await until(lambda: output.status is OlaStatus.CONNECTED)
        olad.stop()
        output.update(bytes([7, 7, 7]))
        await until(lambda: output.status is OlaStatus.UNREACHABLE)
        assert not task.done()
        olad.start()
        await until(lambda: olad.dmx()[:3] == [7, 7, 7], 20)
        assert statuses == [
            OlaStatus.CONNECTED,
            OlaStatus.UNREACHABLE,
            OlaStatus.CONNECTED,
        ]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
