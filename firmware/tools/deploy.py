"""Copies a build to a board with mpremote: only the files whose hash changed, then reset; or its library as a ROMFS image."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
import subprocess
import sys

from .build import MANIFEST, installed

# Runs on the board: prints {path: sha256 or null} for the paths given.
_HASHES = """
import hashlib, json, binascii
out = {}
for p in %s:
    try:
        h = hashlib.sha256()
        with open(p, 'rb') as f:
            while True:
                b = f.read(512)
                if not b:
                    break
                h.update(b)
        out[p] = binascii.hexlify(h.digest()).decode()
    except OSError:
        out[p] = None
print('HASHES' + json.dumps(out))
"""

_MKDIRS = """
import os
for d in %s:
    try:
        os.mkdir(d)
    except OSError:
        pass
"""


# Runs on the board: removes the library files a files deploy left in /lib,
# which would otherwise hide the ROMFS image's.
_REMOVE = """
import os
for p in %s:
    try:
        os.remove(p)
    except OSError:
        pass
"""
ROMFS_IMAGE = "romfs.img"
LIBRARY = "lib/"


class DeployError(Exception):
    """mpremote failed; the message carries its output."""


def _mpremote() -> list[str]:
    found = installed("mpremote")
    return [found] if found else [sys.executable, "-m", "mpremote"]


def _run(port: str, args: list[str], resume: bool) -> str:
    cmd = [*_mpremote(), "connect", port]
    if resume:
        cmd.append("resume")
    result = subprocess.run(
        [*cmd, *args], capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        raise DeployError(
            f"mpremote {' '.join(args[:2])} failed: {result.stderr.strip() or result.stdout.strip()}"
        )
    return result.stdout


def remote_hashes(
    port: str, paths: list[str], resume: bool = False
) -> dict[str, str | None]:
    """Return the sha256 of each path on the board (None where missing)."""
    output = _run(port, ["exec", _HASHES % json.dumps(paths)], resume)
    for line in output.splitlines():
        if line.startswith("HASHES"):
            result: dict[str, str | None] = json.loads(line[len("HASHES") :])
            return result
    raise DeployError(f"the board did not report its files: {output.strip()}")


def deploy(
    build_dir: Path,
    port: str,
    *,
    reset: bool = True,
    resume: bool = False,
    only: Callable[[str], bool] = lambda _path: True,
) -> list[str]:
    """Copy what changed in ``build_dir`` to the board on ``port``; return the copied paths."""
    manifest: dict[str, str] = json.loads((build_dir / MANIFEST).read_text())
    paths = sorted(p for p in manifest if only(p))
    have = remote_hashes(port, paths, resume)
    changed = [p for p in paths if have.get(p) != manifest[p]]
    if changed:
        folders = sorted(
            {str(Path(p).parent) for p in changed if str(Path(p).parent) != "."}
        )
        expanded: list[str] = []
        for folder in folders:
            parts = Path(folder).parts
            for i in range(1, len(parts) + 1):
                f = "/".join(parts[:i])
                if f not in expanded:
                    expanded.append(f)
        args: list[str] = ["exec", _MKDIRS % json.dumps(expanded)]
        for p in changed:
            args += ["+", "cp", str(build_dir / p), ":" + p]
        _run(port, args, resume)
    if reset:
        _run(port, ["reset"], resume)
    return changed


def build_romfs(build_dir: Path) -> Path:
    """Pack the build's library into a ROMFS image beside it; return the image's path.

    On a board the image is mapped from flash, so the library's bytecode runs
    in place instead of taking heap (see docs/firmware.md).
    """
    image = build_dir / ROMFS_IMAGE
    result = subprocess.run(
        [
            *_mpremote(),
            "romfs",
            "--mpy",
            "--output",
            str(image),
            "build",
            str(build_dir / "lib"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode != 0 or not image.is_file():
        raise DeployError(
            f"mpremote romfs build failed: {result.stderr.strip() or result.stdout.strip()}"
        )
    return image


def deploy_romfs(
    build_dir: Path, port: str, *, reset: bool = True, resume: bool = False
) -> list[str]:
    """Put the library in the board's ROMFS partition and copy the rest; return what was copied.

    The board needs MicroPython 1.25 or newer built with a ROMFS partition.
    Library files an earlier deploy left in /lib are removed, or they would
    come first; updates over MQTT write /lib again, and win (main.py puts
    /lib ahead of the image) until the next deploy --romfs.
    """
    image = build_romfs(build_dir)
    # A board without a ROMFS partition fails here, before anything changed.
    _run(port, ["romfs", "deploy", str(image)], resume)
    manifest: dict[str, str] = json.loads((build_dir / MANIFEST).read_text())
    library = sorted(p for p in manifest if p.startswith(LIBRARY))
    _run(port, ["exec", _REMOVE % json.dumps(library)], resume)
    copied = deploy(
        build_dir,
        port,
        reset=reset,
        resume=resume,
        only=lambda path: not path.startswith(LIBRARY),
    )
    return [ROMFS_IMAGE, *copied]
