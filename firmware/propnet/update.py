"""Firmware updates over MQTT: staged in chunks, checked with SHA-256, tried, then kept or rolled back.

The tool sends ``update_begin`` (the files with their sizes and SHA-256),
``update_chunk`` (base64 data at an offset) and ``update_commit``, each a
command acked as the contract says. On commit the staged files replace the
running ones (the old ones are kept aside) and the prop restarts on trial;
main.py rolls the update back if the trial boot fails, and the new firmware
keeps it only after staying online for a while. The rollback itself is in
main.py, which updates never replace.
"""

import asyncio
import binascii
import hashlib
import json
import os
import time

from .components import CommandError

STAGE = "update_stage"
PREV = "update_prev"
STATE = "update.json"
RESULT = "update_result.txt"
# main.py and boot.py start the rollback; an update never replaces them.
FIXED = ("main.py", "boot.py")


def bad_path(path):
    """Return whether ``path`` cannot name a file of an update.

    The same rule as the hub's ``transfer.path_problem``: relative, ``/``
    between parts, no empty, ``.`` or ``..`` part (``./main.py`` is
    main.py), no ``~`` (the stage folder's separator), backslash or control
    character, and never main.py or boot.py.
    """
    if not isinstance(path, str) or not path or len(path) > 96:
        return True
    if "~" in path or "\\" in path or path in FIXED:
        return True
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        return True
    return any(part in ("", ".", "..") for part in path.split("/"))


def flat(path):
    """Return the single file name that stands for ``path`` in the stage and prev folders."""
    return path.replace("/", "~")


def exists(path):
    """Return whether ``path`` exists."""
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def clear(folder):
    """Remove ``folder`` and the files in it (flat folders only)."""
    if not exists(folder):
        return
    for name in os.listdir(folder):
        os.remove(folder + "/" + name)
    os.rmdir(folder)


def makedirs(path):
    """Create the folders above ``path``."""
    parts = path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        folder = "/".join(parts[:i])
        if not exists(folder):
            os.mkdir(folder)


def walk(folder):
    """Return the paths of the files below ``folder``."""
    out = []
    if not exists(folder):
        return out
    for name in os.listdir(folder):
        path = folder + "/" + name
        if os.stat(path)[0] & 0x4000:
            out.extend(walk(path))
        else:
            out.append(path)
    return out


def sha256(path):
    """Return the hex SHA-256 of a file, read in small pieces."""
    h = hashlib.sha256()
    buf = bytearray(512)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(buf[:n] if n < 512 else buf)
    return binascii.hexlify(h.digest()).decode()


def result():
    """Return how the last update ended, or the trial in progress."""
    if exists(STATE):
        return "trial"
    try:
        with open(RESULT) as f:
            return f.read()
    except OSError:
        return "none"


def set_result(text):
    """Remember how the last update ended."""
    with open(RESULT, "w") as f:
        f.write(text)


class Updater:
    """Receives one update at a time."""

    def __init__(self):
        """No update in progress."""
        self.files = None
        self.options = None

    def begin(self, params):
        """Start an update of ``params['files']``: {path: [size, sha256]}."""
        files = params.get("files") if isinstance(params, dict) else None
        if not isinstance(files, dict) or not files:
            raise CommandError("bad_value", "update_begin needs files")
        for path, spec in files.items():
            if bad_path(path) or not isinstance(spec, list) or len(spec) != 2:
                raise CommandError("bad_value", "bad file entry " + repr(path))
        if exists(STATE):
            # The old files of the update on trial are the only way back.
            raise CommandError("busy", "an update is on trial")
        clear(STAGE)
        os.mkdir(STAGE)
        # Every file is staged from the start: an empty one gets no chunk.
        for path in files:
            open(STAGE + "/" + flat(path), "wb").close()
        self.files = files
        self.options = {
            "trial": params.get("trial", 60),
            "confirm": params.get("confirm", 10),
            "version": params.get("version", "?"),
        }

    def chunk(self, params):
        """Append base64 ``data`` to ``path`` at ``offset``, which must be its current size."""
        if self.files is None:
            raise CommandError("bad_value", "no update in progress")
        path = params.get("path") if isinstance(params, dict) else None
        if path not in self.files:
            raise CommandError("bad_value", "not a file of this update: " + repr(path))
        text = params.get("data")
        try:
            data = binascii.a2b_base64(text)
        except (ValueError, TypeError):
            data = None
        # MicroPython skips characters outside the alphabet; encoding back
        # is how a garbled chunk is caught here rather than at commit.
        if data is None or binascii.b2a_base64(data).strip() != text.encode():
            raise CommandError("bad_value", "data must be base64")
        staged = STAGE + "/" + flat(path)
        size = os.stat(staged)[6] if exists(staged) else 0
        if params.get("offset") != size:
            raise CommandError("bad_value", "expected offset %d for %s" % (size, path))
        if size + len(data) > self.files[path][0]:
            raise CommandError("bad_value", path + " is longer than announced")
        with open(staged, "ab") as f:
            f.write(data)

    def step(self, node, action, params):
        """Carry out one update command for ``node``; ``update_status`` returns how the last ended."""
        if action == "update_begin":
            self.begin(params)
        elif action == "update_chunk":
            self.chunk(params)
        elif action == "update_commit":
            self.commit()
            node.log("info", "update stored; restarting to try it")
            asyncio.create_task(node.reboot())
        elif action == "update_status":
            return result()
        else:
            raise CommandError("unsupported_action", action + " is not an update step")
        return None

    def commit(self):
        """Check every file; swap them in and leave the state for a trial boot."""
        if self.files is None:
            raise CommandError("bad_value", "no update in progress")
        files = self.files
        for path, (size, digest) in files.items():
            staged = STAGE + "/" + flat(path)
            if (
                not exists(staged)
                or os.stat(staged)[6] != size
                or sha256(staged) != digest
            ):
                self.files = None
                clear(STAGE)
                raise CommandError(
                    "bad_value", "SHA-256 or size of %s does not match" % path
                )
        clear(PREV)
        os.mkdir(PREV)
        added = [p for p in files if not exists(p)]
        # The library becomes exactly the update's: files it no longer has
        # (a module now shipped as .mpy instead of .py) are set aside too.
        removed = [p for p in walk("lib") if p not in files]
        state = {"files": list(files) + removed, "added": added, "boots": 0}
        state.update(self.options)
        # The state is written first: an interrupted swap is rolled back too.
        with open(STATE, "w") as f:
            json.dump(state, f)
        for path in removed:
            os.rename(path, PREV + "/" + flat(path))
        for path in files:
            if path not in added:
                os.rename(path, PREV + "/" + flat(path))
            makedirs(path)
            os.rename(STAGE + "/" + flat(path), path)
        clear(STAGE)
        self.files = None


def trial():
    """Return the trial state when this boot runs an update on trial, else None."""
    try:
        with open(STATE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def keep(state):
    """Keep the update (the new firmware stayed online): drop the old files and the trial state."""
    clear(PREV)
    os.remove(STATE)
    set_result("kept " + str(state.get("version")))


def resume(node):
    """On a boot after an update: watch the trial, or roll back at once in safe mode."""
    state = trial()
    if state is None:
        return
    if node.safe_mode:
        # An update whose config cannot be read is not one to keep.
        node.log("error", "update started in safe mode; restarting to roll back")
        asyncio.create_task(node.reboot())
    else:
        asyncio.create_task(watch_trial(node, state))


async def watch_trial(node, state):
    """Keep an update once online long enough; restart (rolling back) if never."""
    deadline = time.ticks_add(time.ticks_ms(), int(state.get("trial", 60) * 1000))
    online_since = None
    while time.ticks_diff(deadline, time.ticks_ms()) > 0:
        if node.client.connected:
            if online_since is None:
                online_since = time.ticks_ms()
            if (
                time.ticks_diff(time.ticks_ms(), online_since)
                >= state.get("confirm", 10) * 1000
            ):
                keep(state)
                node.log("info", "update to %s kept" % state.get("version"))
                return
        else:
            online_since = None
        await asyncio.sleep_ms(100)
    node.log("error", "update did not stay online; restarting to roll back")
    await node.reboot()
