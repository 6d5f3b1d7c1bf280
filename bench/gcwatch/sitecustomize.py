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

# An experiment, not PropNet's behaviour: with PROPNET_GC_FREEZE_AFTER=s,
# what is alive s seconds after the start (Home Assistant and its
# integrations, loaded) moves to the permanent generation, which no later
# collection walks: does that shorten the full collections?
_FREEZE_AFTER = os.environ.get("PROPNET_GC_FREEZE_AFTER")
if _FREEZE_AFTER:
    import threading

    def _freeze() -> None:
        gc.collect()
        gc.freeze()
        if _OUT is not None:
            _OUT.write(f"# froze {gc.get_freeze_count()} objects\n")

    _timer = threading.Timer(float(_FREEZE_AFTER), _freeze)
    _timer.daemon = True
    _timer.start()
