"""Bench probe loaded into Home Assistant's interpreter: logs each garbage collection that holds it 5 ms or more, and every full one; on SIGUSR1 runs a full one and logs what it found."""

import gc
import os
from pathlib import Path
import signal
import time

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

    def _collect(_signum: int, _frame: object) -> None:
        # Whether memory that grew is garbage Python has not yet looked for
        # (freed here) or objects something keeps (still counted after).
        before = len(gc.get_objects())
        began = time.monotonic()
        unreachable = gc.collect()
        _write(
            f"# full collection on request: {unreachable} unreachable;"
            f" {before} objects tracked before, {len(gc.get_objects())} after;"
            f" {(time.monotonic() - began) * 1000:.0f} ms\n"
        )

    signal.signal(signal.SIGUSR1, _collect)
