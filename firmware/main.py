"""Starts the prop described by prop.json, and undoes a firmware update whose trial failed.

Updates never replace this file, so the rollback works whatever an update
brought; it needs nothing but os and json.
"""

import json
import os

STATE = "update.json"
PREV = "update_prev"
RESULT = "update_result.txt"


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _undo(state, why):
    for path in state.get("files", ()):
        old = PREV + "/" + path.replace("/", "~")
        if _exists(old):
            if _exists(path):
                os.remove(path)
            os.rename(old, path)
        elif path in state.get("added", ()) and _exists(path):
            os.remove(path)
    if _exists(PREV):
        for name in os.listdir(PREV):
            os.remove(PREV + "/" + name)
        os.rmdir(PREV)
    os.remove(STATE)
    with open(RESULT, "w") as f:
        f.write("rolled back: " + why)
    print("update rolled back:", why)


def _count_trial_boot():
    try:
        with open(STATE) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return
    state["boots"] = state.get("boots", 0) + 1
    if state["boots"] > 1:
        # The trial boot ended without the new firmware keeping itself.
        _undo(state, "the new firmware did not stay online")
        return
    with open(STATE, "w") as f:
        json.dump(state, f)


def _lib_before_rom(path):
    """Put /lib ahead of a ROMFS image's folders on ``path``.

    A prop deployed with its library in ROMFS (deploy --romfs) still takes
    updates over MQTT: they write /lib, which must then win. A rolled back
    update removes what it added, and the image is used again.
    """
    roms = [i for i, p in enumerate(path) if p.startswith("/rom")]
    if roms and "/lib" in path:
        path.remove("/lib")
        path.insert(roms[0], "/lib")


_count_trial_boot()
try:
    import sys

    _lib_before_rom(sys.path)
    from propnet.node import main

    main()
except Exception as e:  # noqa: BLE001 - whatever broke, restart (and roll back)
    import sys
    import time

    import machine

    sys.print_exception(e)
    # A pause keeps a firmware that fails at once from resetting in a tight loop.
    time.sleep(2)
    machine.reset()
