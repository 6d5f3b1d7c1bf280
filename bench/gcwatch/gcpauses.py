"""The interpreter's garbage collections that hold it long enough for a show to feel, for the benchmarks."""

from collections.abc import Callable
import gc
import time

SLOW_S = 0.005


def watch(on_pause: Callable[[float, int, float, int], None]) -> None:
    """Call ``on_pause(began, generation, ms, collected)`` after each collection of 5 ms or more, and after every full one."""
    began = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        # Called on the thread that set the collection off, with the world
        # held: only the slow ones go on, so the fast path stays two clock
        # reads; every full one too, to show how long they are once frozen.
        now = time.monotonic()
        if phase == "start":
            began[0] = now
        elif now - began[0] >= SLOW_S or info["generation"] == 2:
            on_pause(
                began[0], info["generation"], (now - began[0]) * 1000, info["collected"]
            )

    gc.callbacks.append(callback)
