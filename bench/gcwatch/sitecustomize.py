"""Bench probe loaded into Home Assistant's interpreter: logs each garbage collection that holds it 5 ms or more."""

import gc
import os
from pathlib import Path
import time

_LOG = os.environ.get("PROPNET_GC_LOG")
_BEGAN: list[float] = [0.0]
_SLOW_S = 0.005


def _watch(phase: str, info: dict[str, int]) -> None:
    # Called on the thread that set the collection off, with the world held:
    # only pauses that a show could feel are written, one line each.
    now = time.monotonic()
    if phase == "start":
        _BEGAN[0] = now
    elif now - _BEGAN[0] >= _SLOW_S and _OUT is not None:
        _OUT.write(
            f"{_BEGAN[0]:.6f} {info['generation']} {(now - _BEGAN[0]) * 1000:.1f}"
            f" {info['collected']}\n"
        )


_OUT = Path(_LOG).open("a", buffering=1) if _LOG else None  # noqa: SIM115 - open for the process's life
if _OUT is not None:
    gc.callbacks.append(_watch)
