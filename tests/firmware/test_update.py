"""Firmware updates over MQTT: kept when the new firmware comes online, rolled back when not."""

from __future__ import annotations

import base64
from collections.abc import Iterator
import json
from pathlib import Path
import shutil

import pytest

from propnet_tool.simulate import prepare
from propnet_tool.update import PropLink, UpdateError, files_to_send, push
from tests.harness.broker import Broker
from tests.harness.procs import free_port
from tests.harness.virtual_prop import PROPS, VirtualProp
from tests.harness.watcher import Watcher

BASE = "propnet/coffin_jumper"


class Bench:
    """A running virtual coffin jumper and a link to it, plus builds to send."""

    def __init__(self, folder: Path, broker: Broker) -> None:
        """Start the prop from its own flash folder."""
        self.folder = folder
        self.broker = broker
        self.prop = VirtualProp(
            "coffin_jumper", folder / "flash", broker.host, broker.port
        )
        with Watcher(broker.port, f"{BASE}/status") as watcher:
            self.prop.start()
            watcher.wait_for(f"{BASE}/status")
        self.link = PropLink(broker.host, broker.port, BASE)

    def build(self, name: str, **extra: object) -> dict[str, bytes]:
        """Build the coffin jumper renamed to ``name`` for this broker; return its files."""
        config = self.folder / f"{name}.yaml"
        text = (PROPS / "coffin_jumper.yaml").read_text()
        config.write_text(text.replace("name: Coffin Jumper", f"name: {name}"))
        shutil.copy(PROPS / "secrets.yaml", self.folder / "secrets.yaml")
        out = self.folder / "builds" / name
        prepare(config, out, self.broker.host, self.broker.port, extra=extra or None)
        return files_to_send(out)

    def announced_name(self) -> str:
        """Return the name in the prop's retained announce."""
        with Watcher(self.broker.port, f"{BASE}/announce") as watcher:
            seen = watcher.wait_for(f"{BASE}/announce")
        name: str = json.loads(seen.payload)["name"]
        return name


@pytest.fixture(scope="module")
def bench(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    """One prop for this module's stories, which run in order."""
    running = Bench(tmp_path_factory.mktemp("update"), broker)
    yield running
    running.link.close()
    running.prop.stop()


def test_an_update_that_comes_online_is_kept(bench: Bench) -> None:
    """New firmware and config arrive in chunks, the prop restarts, stays, keeps it."""
    files = bench.build("Coffin Jumper Two")
    assert "lib/propnet/node.py" in files
    assert "main.py" not in files
    # An empty file gets no chunk at all, and must still arrive.
    files["lib/empty.txt"] = b""
    steps: list[str] = []
    result = push(
        bench.link, files, version="2.0", trial=30, confirm=1, progress=steps.append
    )
    assert result == "kept 2.0"
    assert steps[-1].startswith("committed")
    assert bench.announced_name() == "Coffin Jumper Two"
    flash = bench.prop.folder
    assert (flash / "lib" / "empty.txt").read_bytes() == b""
    assert not (flash / "update_prev").exists()
    assert not (flash / "update.json").exists()


def test_a_corrupted_update_is_refused_and_changes_nothing(bench: Bench) -> None:
    """A file whose SHA-256 does not match: commit is refused, the prop runs on."""
    files = bench.build("Coffin Jumper Broken")
    path, data = "prop.json", files["prop.json"]
    bench.link.command(
        "update_begin", {"files": {path: [len(data), "0" * 64]}, "version": "bad"}
    )
    bench.link.command(
        "update_chunk",
        {"path": path, "offset": 0, "data": base64.b64encode(data).decode()},
    )
    with pytest.raises(
        UpdateError, match=r"SHA-256 or size of prop\.json does not match"
    ):
        bench.link.command("update_commit")
    bench.link.command("update_begin", {"files": {path: [len(data), "0" * 64]}})
    with pytest.raises(UpdateError, match="expected offset 0"):
        bench.link.command("update_chunk", {"path": path, "offset": 5, "data": "AAAA"})
    with pytest.raises(UpdateError, match="is longer than announced"):
        bench.link.command(
            "update_chunk",
            {"path": path, "offset": 0, "data": base64.b64encode(data + b"x").decode()},
        )
    with pytest.raises(UpdateError, match="data must be base64"):
        bench.link.command("update_chunk", {"path": path, "offset": 0, "data": "@@@"})
    with pytest.raises(UpdateError, match="not a file of this update"):
        bench.link.command(
            "update_chunk", {"path": "lib/x.py", "offset": 0, "data": ""}
        )
    for name in (
        "main.py",
        "./main.py",
        "lib/./x.py",
        "lib//x.py",
        "/lib/x.py",
        "lib/../main.py",
        "lib\\x.py",
        "lib/~x.py",
    ):
        with pytest.raises(UpdateError, match="bad file entry"):
            bench.link.command("update_begin", {"files": {name: [1, "0" * 64]}})
    assert bench.link.command("ping")["ok"] is True
    assert bench.announced_name() == "Coffin Jumper Two"


def test_firmware_that_does_not_start_is_rolled_back(bench: Bench) -> None:
    """A runtime that fails at import: the prop restarts, main.py puts the old one back."""
    files = bench.build("Coffin Jumper Three")
    files["lib/propnet/node.py"] = b'raise ImportError("broken on purpose")\n'
    result = push(bench.link, files, version="3.0", trial=30, confirm=1)
    assert result == "rolled back: the new firmware did not stay online"
    assert bench.announced_name() == "Coffin Jumper Two"
    assert bench.link.command("ping")["ok"] is True


def test_firmware_that_never_reaches_the_broker_is_rolled_back(bench: Bench) -> None:
    """A config pointing at no broker: the trial runs out, the old config is back."""
    files = bench.build(
        "Coffin Jumper Four", mqtt={"host": "127.0.0.1", "port": free_port()}
    )
    result = push(bench.link, files, version="4.0", trial=3, confirm=1)
    assert result == "rolled back: the new firmware did not stay online"
    assert bench.announced_name() == "Coffin Jumper Two"


def test_the_command_line_updates_a_prop_to_compiled_firmware(
    bench: Bench,
    broker: Broker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`propnet-firmware update`: the .mpy build replaces the .py one and is kept."""
    from propnet_tool.cli import main

    config = tmp_path / "coffin.yaml"
    text = (PROPS / "coffin_jumper.yaml").read_text()
    text = text.replace("name: Coffin Jumper", "name: Coffin Jumper Five")
    text = text.replace(
        "host: !secret mqtt_host", f"host: {broker.host}\n  port: {broker.port}"
    )
    config.write_text(text)
    shutil.copy(PROPS / "secrets.yaml", tmp_path / "secrets.yaml")
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "update",
            str(config),
            "--broker",
            f"{broker.host}:{broker.port}",
            "--trial",
            "30",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "coffin_jumper: kept" in out
    assert bench.announced_name() == "Coffin Jumper Five"
    lib = bench.prop.folder / "lib" / "propnet"
    assert (lib / "node.mpy").exists()
    assert not (lib / "node.py").exists()


def test_a_prop_on_trial_refuses_another_update(bench: Bench) -> None:
    """While the old files are the only way back, a second update is refused with busy."""
    flash = bench.prop.folder
    (flash / "update.json").write_text(json.dumps({"files": [], "boots": 1}))
    try:
        with pytest.raises(UpdateError, match="busy: an update is on trial"):
            bench.link.command("update_begin", {"files": {"prop.json": [1, "0" * 64]}})
        assert bench.link.command("update_status")["message"] == "trial"
    finally:
        (flash / "update.json").unlink()
