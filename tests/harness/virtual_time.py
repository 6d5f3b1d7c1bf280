"""An asyncio loop on virtual time, so timing tests of plain-asyncio code are exact on a busy machine.

When nothing is ready, the loop's clock jumps to its next timer instead of
waiting for it: a cue due in 50 ms fires at exactly 50 ms, whatever else the
machine is doing. ``hold`` stands for a loop kept busy (Home Assistant under
load): time passes and nothing runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import functools
import selectors
from typing import Any


class _JumpingSelector(selectors.DefaultSelector):
    """Polls without blocking; a wait for a timer moves the loop's clock instead."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(
        self, timeout: float | None = None
    ) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready:
            return ready
        if timeout is None:
            # No timer at all: only I/O (another thread's wake-up) can come.
            return super().select(None)
        self._loop.now += max(timeout, 0.0)
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector loop whose ``time()`` only moves when it would wait, or when held."""

    def __init__(self) -> None:
        """Start the clock at an arbitrary, non-zero time."""
        self.now = 1000.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        """Return the virtual time in seconds."""
        return self.now

    def hold(self, seconds: float) -> None:
        """Let ``seconds`` pass with nothing run, as a blocked loop would."""
        self.now += seconds


def now_us() -> int:
    """Return the running virtual loop's clock in microseconds."""
    return round(asyncio.get_running_loop().time() * 1e6)


def hold(seconds: float) -> None:
    """Hold the running virtual loop for ``seconds``."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop), "hold() needs the virtual loop"
    loop.hold(seconds)


async def _then_cancel_the_rest(test: Coroutine[Any, Any, None]) -> None:
    await test
    # Tasks the test left (a closed runner's) end here, not in another test.
    rest = asyncio.all_tasks() - {asyncio.current_task()}
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def virtual_time[**P](
    test: Callable[P, Coroutine[Any, Any, None]],
) -> Callable[P, None]:
    """Run an async test on its own virtual-time loop (a plain test to pytest)."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        loop = VirtualTimeLoop()
        try:
            loop.run_until_complete(_then_cancel_the_rest(test(*args, **kwargs)))
        finally:
            loop.close()

    return run
