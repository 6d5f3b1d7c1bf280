"""Firmware updates over the contract's commands: a build, its transfer, and how it ended.

One implementation for the firmware tool and the hub: each brings a
``Link`` (paho on a laptop, Home Assistant's MQTT in the hub) and this
module does the steps of section 6's update actions.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import hashlib
import json
from pathlib import Path
import time
from typing import Any, Final, Protocol

CHUNK: Final = 2048
# main.py holds the rollback and boot.py runs before it: never sent.
FIXED: Final = ("main.py", "boot.py")
MANIFEST: Final = "manifest.json"
RELEASE: Final = "release.json"
MAX_NOTES: Final = 20_000

MAX_PATH: Final = 96

type Progress = Callable[[int, int, str], None]


def path_problem(path: str) -> str | None:
    """Return why ``path`` cannot name a file of an update, or None when it can.

    The prop applies the same rule (``firmware/propnet/update.py``): a
    relative path of ``/``-separated parts, none empty, ``.`` or ``..`` (so
    ``./main.py`` cannot stand in for main.py), no ``~``, backslash or
    control character, and
    never one of the files that start the rollback.
    """
    if not path or len(path) > MAX_PATH:
        return f"a file name must have 1 to {MAX_PATH} characters: {path!r}"
    if "~" in path or "\\" in path or any(ord(c) < 32 or c == "\x7f" for c in path):
        return (
            f"a file name must not hold ~, a backslash or a control character: {path!r}"
        )
    if any(part in ("", ".", "..") for part in path.split("/")):
        return f"a file name must be relative, without . or .. parts: {path!r}"
    if path in FIXED:
        return f"{path} is never replaced by an update"
    return None


class TransferError(Exception):
    """An update that could not be done; ``reason`` names which step failed."""

    def __init__(self, reason: str, detail: str) -> None:
        """Keep the reason (no_answer, refused, no_restart, on_trial, bad_build)."""
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class Link(Protocol):
    """How the update's commands reach one prop."""

    async def command(self, action: str, params: dict[str, Any] | None = None) -> str:
        """Send one command; return its ack's message, raise TransferError if refused or unanswered."""

    async def wait_restart(self, within: float) -> None:
        """Return once the prop went offline and came back; raise TransferError(no_restart)."""


@dataclass(frozen=True)
class Release:
    """A build for one prop, as `propnet-firmware build` leaves it in a folder."""

    folder: Path
    prop_id: str
    version: str
    notes: str | None
    manifest: dict[str, str]
    # The topic prefix the build's config uses; None for a build that does
    # not say (offered on every prefix, as before prefixes were recorded).
    prefix: str | None = None

    def files(self) -> dict[str, bytes]:
        """Read the files an update carries, each checked against the manifest.

        Nothing outside the build folder is read: a file that is a link
        leading out of it is refused, as a name with ``..`` already was.
        """
        out: dict[str, bytes] = {}
        root = self.folder.resolve()
        for path, digest in self.manifest.items():
            if path in FIXED:
                continue
            if (problem := path_problem(path)) is not None:
                raise TransferError("bad_build", problem)
            file = self.folder / path
            try:
                if not file.resolve().is_relative_to(root):
                    raise TransferError(
                        "bad_build", f"{path} leads out of the build folder"
                    )
                data = file.read_bytes()
            except OSError as err:
                raise TransferError("bad_build", f"{path}: {err.strerror}") from None
            if hashlib.sha256(data).hexdigest() != digest:
                raise TransferError(
                    "bad_build", f"{path} does not match the build's manifest"
                )
            out[path] = data
        return out


def read_release(folder: Path) -> Release:
    """Return the build in ``folder``; raise TransferError(bad_build) saying what is wrong."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        release = json.loads((folder / RELEASE).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise TransferError(
            "bad_build", f"{Path(err.filename).name} is missing"
        ) from None
    except (OSError, ValueError) as err:
        raise TransferError("bad_build", f"unreadable: {err}") from None
    if not isinstance(manifest, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in manifest.items()
    ):
        raise TransferError("bad_build", f"{MANIFEST} is not a map of files to SHA-256")
    for path in manifest:
        if path not in FIXED and (problem := path_problem(path)) is not None:
            raise TransferError("bad_build", f"{MANIFEST}: {problem}")
    if not isinstance(release, dict):
        raise TransferError("bad_build", f"{RELEASE} is not an object")
    prop_id, version = release.get("prop_id"), release.get("version")
    notes = release.get("notes")
    if not isinstance(prop_id, str) or not isinstance(version, str) or not version:
        raise TransferError("bad_build", f"{RELEASE} needs prop_id and version")
    if notes is not None and not isinstance(notes, str):
        raise TransferError("bad_build", f"{RELEASE}: notes must be text")
    prefix = release.get("prefix")
    if prefix is not None and not isinstance(prefix, str):
        raise TransferError("bad_build", f"{RELEASE}: prefix must be text")
    return Release(
        folder, prop_id, version, notes and notes[:MAX_NOTES], manifest, prefix
    )


def write_release(
    folder: Path,
    prop_id: str,
    version: str,
    notes: str | None,
    prefix: str | None = None,
) -> None:
    """Describe the build in ``folder`` for Home Assistant's update entity."""
    release: dict[str, Any] = {"prop_id": prop_id, "version": version}
    if prefix is not None:
        release["prefix"] = prefix
    if notes:
        release["notes"] = notes
    (folder / RELEASE).write_text(json.dumps(release, indent=1), encoding="utf-8")


def is_kept(outcome: str) -> bool:
    """Return whether an update_status message says the update was kept."""
    return outcome.startswith("kept")


async def install(
    link: Link,
    files: dict[str, bytes],
    *,
    version: str,
    trial: float = 60,
    confirm: float = 10,
    progress: Progress = lambda sent, total, stage: None,
    poll: float = 0.5,
    slack: float = 30,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """Send ``files``, let the prop restart on trial, and return how the update ended.

    The outcome is the prop's update_status message: ``kept <version>`` or
    ``rolled back: <why>``. ``progress`` hears (bytes sent, bytes in all,
    stage) after each chunk and at each stage. ``slack`` is the time a
    restart may take beyond the trial.
    """
    manifest = {p: [len(d), hashlib.sha256(d).hexdigest()] for p, d in files.items()}
    total = sum(len(d) for d in files.values())
    progress(0, total, "starting")
    await link.command(
        "update_begin",
        {"files": manifest, "version": version, "trial": trial, "confirm": confirm},
    )
    sent = 0
    for path, data in files.items():
        for offset in range(0, len(data), CHUNK):
            piece = base64.b64encode(data[offset : offset + CHUNK]).decode()
            await link.command(
                "update_chunk", {"path": path, "offset": offset, "data": piece}
            )
            sent += min(CHUNK, len(data) - offset)
            progress(sent, total, f"sent {path}")
    await link.command("update_commit")
    progress(total, total, "restarting")
    await link.wait_restart(trial + slack)
    progress(total, total, "on trial")
    deadline = time.monotonic() + trial + confirm + slack
    while time.monotonic() < deadline:
        try:
            outcome = await link.command("update_status")
        except TransferError:
            # Rolling back restarts the prop: it may be away for a moment.
            await sleep(poll)
            continue
        if outcome != "trial":
            progress(total, total, outcome)
            return outcome
        await sleep(poll)
    raise TransferError("on_trial", "the prop was still on trial when the wait ended")
