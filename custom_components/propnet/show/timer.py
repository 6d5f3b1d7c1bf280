"""Wake the event loop at an instant of the hub's clock to within tens of microseconds, not asyncio's whole milliseconds.

asyncio's epoll selector rounds every wait up to the next millisecond, so a
cue slept for with ``asyncio.sleep`` fires 0 to 1 ms late (0.5 ms on
average) before any other work. On Linux a timerfd armed at the absolute
instant (CLOCK_MONOTONIC, the clock ``hub_us`` reads), less a few hundred
microseconds, makes the loop's own selector return as the kernel's timer
expires. The waiter is woken then, early, and spins the rest itself: the
loop's other ready callbacks, which run between the wake and the waiter's
turn, take from that margin instead of adding to its lateness. One timerfd
serves every waiter of one loop: it is armed for the earliest. Where there
is no timerfd (not Linux, Python before 3.13) waits fall back to asyncio's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
import heapq
import itertools
import os
import time

from ..protocol.timesync import hub_us

SleepUntil = Callable[[int], Awaitable[None]]
# The timerfd wakes a waiter this long before its instant, and the waiter
# spins the rest: at most this long, once per instant (a cue, a sequence
# frame), less whatever the loop ran before the waiter's turn.
SPIN_US = 500


def loop_sleep_until(now: Callable[[], int]) -> SleepUntil:
    """Return a wait until hub time ``at_us`` on ``now``'s clock, by asyncio's own timers."""

    async def sleep_until(at_us: int) -> None:
        if (wait := at_us - now()) > 0:
            await asyncio.sleep(wait / 1e6)

    return sleep_until


class PreciseTimer:
    """Waits until instants of ``hub_us``, woken by one timerfd on the running loop."""

    def __init__(self) -> None:
        """Make the timer; the timerfd is opened on the first wait."""
        self._fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._armed_us: int | None = None
        self.available = hasattr(os, "timerfd_create")

    async def sleep_until(self, at_us: int) -> None:
        """Return once ``hub_us()`` has reached ``at_us`` (at once if it has)."""
        if at_us <= hub_us():
            return
        if not self.available or not self._open():
            await loop_sleep_until(hub_us)(at_us)
            return
        assert self._loop is not None
        future: asyncio.Future[None] = self._loop.create_future()
        heapq.heappush(self._waiters, (at_us, next(self._order), future))
        self._arm()
        try:
            await future
        finally:
            if future.cancelled():
                self._arm()
        # Woken up to SPIN_US early: the last fraction is spun, not slept,
        # since a sleeping processor wakes hundreds of microseconds late
        # (more in a virtual machine).
        while hub_us() < at_us:
            pass

    def _open(self) -> bool:
        loop = asyncio.get_running_loop()
        if self._fd is not None:
            if self._loop is loop:
                return True
            self.close()
        try:
            fd = os.timerfd_create(
                time.CLOCK_MONOTONIC, flags=os.TFD_NONBLOCK | os.TFD_CLOEXEC
            )
        except OSError:
            self.available = False
            return False
        try:
            loop.add_reader(fd, self._expired)
        except (NotImplementedError, RuntimeError):
            # A loop without add_reader (the Windows proactor) or a test's
            # own loop: asyncio's timers it is.
            os.close(fd)
            self.available = False
            return False
        self._fd, self._loop = fd, loop
        return True

    def _arm(self) -> None:
        # Cancelled waiters leave with the next expiry; they cost one wake.
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)
        if self._fd is None:
            return
        first = self._waiters[0][0] if self._waiters else None
        if first == self._armed_us:
            return
        self._armed_us = first
        # 0 disarms; an instant already past fires at once.
        os.timerfd_settime_ns(
            self._fd,
            flags=os.TFD_TIMER_ABSTIME,
            initial=max(1, (first - SPIN_US) * 1000) if first is not None else 0,
        )

    def _expired(self) -> None:
        assert self._fd is not None
        # Re-armed since it was readable: nothing has expired yet.
        with contextlib.suppress(BlockingIOError):
            os.read(self._fd, 8)
        self._armed_us = None
        # Each waiter spins its own last SPIN_US, in its turn.
        now = hub_us() + SPIN_US
        while self._waiters and self._waiters[0][0] <= now:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
        self._arm()

    def close(self) -> None:
        """Close the timerfd; a waiter still waiting is cancelled."""
        for _, _, future in self._waiters:
            future.cancel()
        self._waiters.clear()
        if self._fd is not None:
            assert self._loop is not None
            if not self._loop.is_closed():
                self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = self._loop = None
            self._armed_us = None
