"""Firmware that cannot brick itself: a broken config reaches safe mode, never a reset loop."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import time

from propnet_tool.simulate import prepare
from propnet_tool.update import PropLink, UpdateError, files_to_send, push
from tests.harness.broker import Broker
from tests.harness.virtual_prop import PROPS, VirtualProp
from tests.harness.watcher import Watcher

BASE = "propnet/coffin_jumper"


def flash(tmp_path: Path, broker: Broker) -> Path:
    """Return a virtual flash holding the coffin jumper built for ``broker``."""
    folder = tmp_path / "flash"
    prepare(PROPS / "coffin_jumper.yaml", folder, broker.host, broker.port)
    return folder


def announced(broker: Broker) -> dict[str, object]:
    """Return the prop's retained announce."""
    with Watcher(broker.port, f"{BASE}/announce") as watcher:
        message = watcher.wait_for(f"{BASE}/announce", timeout=20)
    result: dict[str, object] = json.loads(message.payload)
    return result


def answering(link: PropLink) -> PropLink:
    """Return ``link`` once the prop answers a ping."""
    for _ in range(20):
        try:
            link.command("ping", timeout=1)
        except UpdateError:
            continue
        return link
    raise AssertionError("the prop never answered")


def update(broker: Broker, build: Path, version: str) -> str:
    """Send ``build`` to the prop once it answers; return how the update ended."""
    link = answering(PropLink(broker.host, broker.port, BASE))
    try:
        return push(link, files_to_send(build), version=version, trial=30, confirm=1)
    finally:
        link.close()


def test_a_corrupt_prop_json_starts_safe_mode_that_takes_an_update(
    tmp_path: Path, broker: Broker
) -> None:
    """Garbage in prop.json: online in safe mode, no restarts, and an update repairs it."""
    folder = flash(tmp_path, broker)
    (folder / "prop.json").write_text('{"id": "coffin_jumper", "mqt')
    prop = VirtualProp("coffin_jumper", folder, broker.host, broker.port)
    # VirtualProp built the flash again; break it after that.
    (folder / "prop.json").write_text('{"id": "coffin_jumper", "mqt')
    prop.start()
    try:
        announce = announced(broker)
        assert announce["name"] == "Coffin Jumper (safe mode)"
        assert announce["entities"] == []
        time.sleep(3)
        log = (folder / "prop.log").read_text()
        assert log.count("prop.json is unreadable") == 1, log
        assert prop.exit_code is None
        good = tmp_path / "good"
        prepare(PROPS / "coffin_jumper.yaml", good, broker.host, broker.port)
        assert update(broker, good, "repaired") == "kept repaired"
        assert announced(broker)["name"] == "Coffin Jumper"
    finally:
        prop.stop()


def test_an_update_with_an_unreadable_config_is_rolled_back(
    tmp_path: Path, broker: Broker
) -> None:
    """An update whose prop.json is broken starts in safe mode: it is not kept."""
    folder = flash(tmp_path, broker)
    prop = VirtualProp("coffin_jumper", folder, broker.host, broker.port).start()
    try:
        bad = tmp_path / "bad"
        prepare(PROPS / "coffin_jumper.yaml", bad, broker.host, broker.port)
        (bad / "prop.json").write_text("[1, 2")
        manifest = json.loads((bad / "manifest.json").read_text())
        manifest["prop.json"] = hashlib.sha256(b"[1, 2").hexdigest()
        (bad / "manifest.json").write_text(json.dumps(manifest))
        result = update(broker, bad, "bad")
        assert result == "rolled back: the new firmware did not stay online"
        assert announced(broker)["name"] == "Coffin Jumper"
    finally:
        prop.stop()


def test_with_nothing_to_connect_with_it_waits_instead_of_resetting(
    tmp_path: Path, broker: Broker
) -> None:
    """prop.json and net.json both broken: the prop stays up for the USB console."""
    folder = flash(tmp_path, broker)
    prop = VirtualProp("coffin_jumper", folder, broker.host, broker.port)
    (folder / "prop.json").write_text("")
    (folder / "net.json").unlink()
    prop.start()
    try:
        time.sleep(4)
        log = (folder / "prop.log").read_text()
        assert "no usable prop.json or net.json" in log, log
        assert log.count("prop.json is unreadable") == 1, log
        assert prop.exit_code is None
    finally:
        prop.stop()


def test_the_watchdog_resets_a_prop_whose_loop_stops(
    tmp_path: Path, broker: Broker
) -> None:
    """The main loop hangs: the watchdog (1 s) resets the prop, which comes back and says why."""
    folder = tmp_path / "flash"
    prop = VirtualProp(
        "coffin_jumper", folder, broker.host, broker.port, extra={"watchdog": 1}
    ).start()
    try:
        link = answering(PropLink(broker.host, broker.port, BASE))
        try:
            with Watcher(broker.port, f"{BASE}/#") as watcher:
                mark = watcher.mark()
                (folder / "hang").touch()
                gone = watcher.wait_for(
                    f"{BASE}/availability",
                    since=mark,
                    match=lambda m: m.payload == b"offline",
                    timeout=30,
                )
                back = watcher.wait_for(
                    f"{BASE}/status",
                    since=mark,
                    match=lambda m: (
                        b'"reset_reason": "watchdog"' in m.payload
                        or b'"reset_reason":"watchdog"' in m.payload
                    ),
                    timeout=30,
                )
            assert gone.payload == b"offline"
            assert back.payload
            answering(link)
        finally:
            link.close()
        log = (folder / "prop.log").read_text()
        assert "watchdog: not fed for" in log, log
        assert prop.exit_code is None
    finally:
        prop.stop()
