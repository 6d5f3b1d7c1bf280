"""Bench probe loaded into Home Assistant's interpreter: logs each garbage collection that holds it 5 ms or more."""

import gc
import os
from pathlib import Path

from gcpauses import watch  # this folder is on the PYTHONPATH

_LOG = os.environ.get("PROPNET_GC_LOG")
_OUT = Path(_LOG).open("a", buffering=1) if _LOG else None  # noqa: SIM115 - open for the process's life
if _OUT is not None:
    _write = _OUT.write
    watch(
        lambda began, generation, ms, collected: _write(
            f"{began:.6f} {generation} {ms:.1f} {collected}\n"
        )
    )

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
