"""The shows' timer: waiters wake at their instant on the hub's clock, never before, in order, and a cancelled or closed wait leaves nothing armed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import os

import pytest

from custom_components.propnet.protocol.timesync import hub_us
from custom_components.propnet.show.timer import PreciseTimer, loop_sleep_until


@pytest.fixture
async def timer() -> AsyncIterator[PreciseTimer]:
    """Give the test a timer on its loop; close it after."""
    made = PreciseTimer()
    yield made
    made.close()


async def test_waiters_wake_at_their_instants_in_order_never_before(
    timer: PreciseTimer,
) -> None:
    """Three cues at different instants, asked for out of order: each wakes at or after its own."""
    start = hub_us()
    woke: dict[int, int] = {}

    async def wait(at_us: int) -> None:
        await timer.sleep_until(at_us)
        woke[at_us] = hub_us()

    instants = [start + 30_000, start + 10_000, start + 20_000, start + 20_000]
    await asyncio.gather(*(wait(at) for at in instants))
    assert timer.available, "a timerfd on Linux"
    assert sorted(woke) == sorted(set(instants))
    for at_us, then in woke.items():
        assert then >= at_us
    assert sorted(woke, key=woke.__getitem__) == sorted(woke)


async def test_an_instant_already_past_returns_at_once(timer: PreciseTimer) -> None:
    """A cue the loop is late for is not waited for at all (the runner skips or fires it)."""
    await timer.sleep_until(hub_us() - 1_000)
    assert timer._fd is None


async def test_a_cancelled_wait_disarms_and_the_next_still_wakes(
    timer: PreciseTimer,
) -> None:
    """A show stopped while a cue waits: its wait goes; a later show's cue wakes on time."""
    waiting = asyncio.ensure_future(timer.sleep_until(hub_us() + 5_000_000))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert timer._armed_us is None
    at_us = hub_us() + 5_000
    await asyncio.wait_for(timer.sleep_until(at_us), 1)
    assert hub_us() >= at_us


async def test_close_cancels_waiters_and_a_later_wait_opens_again(
    timer: PreciseTimer,
) -> None:
    """Unloading PropNet closes the timerfd; a wait still pending is cancelled, not left hanging."""
    waiting = asyncio.ensure_future(timer.sleep_until(hub_us() + 5_000_000))
    await asyncio.sleep(0.01)
    timer.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert timer._fd is None
    at_us = hub_us() + 2_000
    await timer.sleep_until(at_us)
    assert hub_us() >= at_us


async def test_without_a_timerfd_it_waits_on_asyncio(timer: PreciseTimer) -> None:
    """Where there is no timerfd (not Linux), waits still end at or after their instant."""
    timer.available = False
    at_us = hub_us() + 3_000
    await timer.sleep_until(at_us)
    assert hub_us() >= at_us
    assert timer._fd is None


async def test_asyncio_wait_on_an_injected_clock() -> None:
    """The runner's default wait reads its own clock (the tests' virtual one)."""
    now = [0]

    def clock() -> int:
        return now[0]

    sleep_until = loop_sleep_until(clock)
    now[0] = 10
    await asyncio.wait_for(sleep_until(5), 0.1)  # already past: no wait
    before = hub_us()
    await sleep_until(2_010)
    assert hub_us() - before >= 1_900


async def test_a_timerfd_that_cannot_be_made_falls_back_to_asyncio(
    timer: PreciseTimer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of file descriptors (or a kernel without timerfd): the show still waits, on asyncio."""

    def refuse(*_args: object, **_kwargs: object) -> int:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "timerfd_create", refuse)
    at_us = hub_us() + 3_000
    await timer.sleep_until(at_us)
    assert hub_us() >= at_us
    assert not timer.available


async def test_a_loop_without_readers_falls_back_to_asyncio(
    timer: PreciseTimer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loop that cannot watch a file descriptor (Windows' proactor): asyncio's timers, no fd left open."""
    loop = asyncio.get_running_loop()

    def cannot(*_args: object) -> None:
        raise NotImplementedError

    monkeypatch.setattr(loop, "add_reader", cannot)
    at_us = hub_us() + 3_000
    await timer.sleep_until(at_us)
    assert hub_us() >= at_us
    assert not timer.available
    assert timer._fd is None
