"""Bench probe loaded into Home Assistant's interpreter: logs each garbage collection that holds it 5 ms or more, and every full one."""

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
