"""The firmware transfer the tool and the hub share: its steps, its progress, its builds."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.propnet.protocol.transfer import (
    CHUNK,
    MANIFEST,
    RELEASE,
    TransferError,
    install,
    path_problem,
    read_release,
    write_release,
)


class FakeProp:
    """A prop's side of the update commands: stores chunks, restarts, reports its trial."""

    def __init__(self, *, outcome: str = "kept 2.0", trials: int = 2) -> None:
        """Answer update_status with 'trial' ``trials`` times, then ``outcome``."""
        self.outcome = outcome
        self.trials = trials
        self.received: dict[str, bytes] = {}
        self.actions: list[str] = []
        self.away = 0
        self.restarted = False

    async def command(self, action: str, params: dict[str, Any] | None = None) -> str:
        """Carry out one step as the firmware does."""
        self.actions.append(action)
        if self.away:
            self.away -= 1
            raise TransferError("refused", "Coffin Jumper is offline")
        if action == "update_chunk":
            assert params is not None
            data = self.received.setdefault(params["path"], b"")
            assert params["offset"] == len(data)
            piece = base64.b64decode(params["data"])
            assert len(piece) <= CHUNK
            self.received[params["path"]] = data + piece
        elif action == "update_commit":
            self.away = 2  # offline for two status questions while it restarts
        elif action == "update_status":
            if self.trials:
                self.trials -= 1
                return "trial"
            return self.outcome
        return ""

    async def wait_restart(self, within: float) -> None:
        """Return at once: the restart happened."""
        self.restarted = True


async def no_wait(_: float) -> None:
    """Poll without sleeping."""


def test_install_sends_every_byte_in_order_and_reports_the_outcome() -> None:
    """Chunks at their offsets, commit, restart, trial, then kept; progress only climbs."""
    files = {"prop.json": b"{}" * 10, "lib/propnet/node.mpy": bytes(range(256)) * 20}
    prop = FakeProp()
    seen: list[tuple[int, int, str]] = []
    outcome = asyncio.run(
        install(
            prop,
            files,
            version="2.0",
            progress=lambda *a: seen.append(a),
            sleep=no_wait,
        )
    )
    assert outcome == "kept 2.0"
    assert prop.received == files
    assert prop.restarted
    assert prop.actions[0] == "update_begin"
    assert prop.actions.count("update_chunk") == 1 + 3  # 20 B, then 5,120 B in 2 KiB
    assert prop.actions.count("update_status") == 2 + 2 + 1
    sent = [s for s, _, _ in seen]
    assert sent == sorted(sent)
    assert seen[-1] == (len(b"".join(files.values())),) * 2 + ("kept 2.0",)
    assert [stage for _, _, stage in seen].index("restarting") < len(seen) - 2


def test_a_rollback_is_the_outcome_not_an_exception() -> None:
    """The prop's own words come back, for the CLI to print and the entity to show."""
    prop = FakeProp(outcome="rolled back: the new firmware did not stay online")
    outcome = asyncio.run(install(prop, {"a": b"x"}, version="3", sleep=no_wait))
    assert outcome == "rolled back: the new firmware did not stay online"


def test_a_prop_that_stays_on_trial_ends_the_wait() -> None:
    """A trial that never ends raises on_trial instead of waiting forever."""
    prop = FakeProp(trials=10**9)
    with pytest.raises(TransferError) as err:
        asyncio.run(
            install(
                prop,
                {"a": b"x"},
                version="3",
                trial=0,
                confirm=0,
                slack=0.05,
                poll=0.001,
            )
        )
    assert err.value.reason == "on_trial"


def test_a_refused_step_stops_the_transfer() -> None:
    """A chunk the prop refuses: nothing further is sent."""

    class Refusing(FakeProp):
        async def command(
            self, action: str, params: dict[str, Any] | None = None
        ) -> str:
            if action == "update_chunk":
                self.actions.append(action)
                raise TransferError("refused", "bad_value: expected offset 0")
            return await super().command(action, params)

    prop = Refusing()
    with pytest.raises(TransferError, match="expected offset 0"):
        asyncio.run(install(prop, {"a": b"x" * 5000}, version="3", sleep=no_wait))
    assert prop.actions == ["update_begin", "update_chunk"]


def make_build(folder: Path, files: dict[str, bytes], **release: Any) -> None:
    """Write a build the way the tool does."""
    folder.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    manifest = {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    write_release(
        folder,
        release.get("prop_id", "coffin_jumper"),
        "2.0",
        "Notes",
        prefix=release.get("prefix"),
    )


def test_a_build_reads_back_without_main_and_boot(tmp_path: Path) -> None:
    """main.py and boot.py are never sent; every other file is checked against the manifest."""
    make_build(tmp_path, {"main.py": b"m", "prop.json": b"{}", "lib/x.mpy": b"M"})
    release = read_release(tmp_path)
    assert (release.prop_id, release.version, release.notes) == (
        "coffin_jumper",
        "2.0",
        "Notes",
    )
    assert release.files() == {"prop.json": b"{}", "lib/x.mpy": b"M"}
    (tmp_path / "lib" / "x.mpy").write_bytes(b"changed")
    with pytest.raises(TransferError, match=r"lib/x\.mpy does not match"):
        release.files()


@pytest.mark.parametrize(
    ("manifest", "release", "expected"),
    [
        (None, {"prop_id": "p", "version": "1"}, "manifest.json is missing"),
        ({}, None, "release.json is missing"),
        ("[1", {"prop_id": "p", "version": "1"}, "unreadable"),
        ([1], {"prop_id": "p", "version": "1"}, "not a map of files"),
        ({}, [1], "is not an object"),
        ({}, {"prop_id": "p"}, "needs prop_id and version"),
        ({}, {"prop_id": "p", "version": ""}, "needs prop_id and version"),
        ({}, {"prop_id": "p", "version": "1", "notes": 5}, "notes must be text"),
    ],
)
def test_a_broken_build_says_what_is_wrong(
    tmp_path: Path, manifest: Any, release: Any, expected: str
) -> None:
    """Each broken build is refused with the reason bad_build and a readable cause."""
    for name, content in ((MANIFEST, manifest), (RELEASE, release)):
        if content is not None:
            text = content if isinstance(content, str) else json.dumps(content)
            (tmp_path / name).write_text(text)
    with pytest.raises(TransferError, match=expected) as err:
        read_release(tmp_path)
    assert err.value.reason == "bad_build"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    release=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["prop_id", "version", "notes", "x"]), inner, max_size=4
            )
        ),
        max_leaves=8,
    )
)
def test_any_release_file_is_read_or_refused_clearly(
    tmp_path: Path, release: Any
) -> None:
    """Whatever release.json holds, reading it gives a Release or a bad_build error."""
    (tmp_path / MANIFEST).write_text("{}")
    (tmp_path / RELEASE).write_text(json.dumps(release))
    good = (
        isinstance(release, dict)
        and isinstance(release.get("prop_id"), str)
        and isinstance(release.get("version"), str)
        and release["version"] != ""
        and isinstance(release.get("notes", ""), str | None)
    )
    if good:
        result = read_release(tmp_path)
        assert result.version == release["version"]
        assert result.prop_id == release["prop_id"]
    else:
        with pytest.raises(TransferError) as err:
            read_release(tmp_path)
        assert err.value.reason == "bad_build"


@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "../secrets.yaml",
        "lib/../../secrets.yaml",
        "./main.py",
        "lib/./x.py",
        "lib//x.py",
        "lib\\x.py",
        "lib/~x.py",
        "x" * 97,
    ],
)
def test_a_manifest_naming_a_file_outside_the_build_is_refused(
    tmp_path: Path, name: str
) -> None:
    """The hub reads no file a manifest points at outside its folder, and offers no such build."""
    (tmp_path / MANIFEST).write_text(json.dumps({name: "0" * 64}))
    write_release(tmp_path, "coffin_jumper", "2.0", None)
    with pytest.raises(TransferError, match=r"manifest\.json: ") as err:
        read_release(tmp_path)
    assert err.value.reason == "bad_build"


def test_a_link_out_of_the_build_folder_is_not_followed(tmp_path: Path) -> None:
    """A file of the build that is a link to a file elsewhere is refused, not read."""
    secret = tmp_path / "secrets.yaml"
    secret.write_bytes(b"wifi: hunter2")
    build = tmp_path / "build"
    make_build(build, {"prop.json": b"{}"})
    (build / "lib").mkdir()
    (build / "lib" / "x.py").symlink_to(secret)
    manifest = json.loads((build / MANIFEST).read_text())
    manifest["lib/x.py"] = hashlib.sha256(b"wifi: hunter2").hexdigest()
    (build / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(TransferError, match="leads out of the build folder"):
        read_release(build).files()


@given(st.text(max_size=40))
def test_every_name_the_rule_accepts_stays_inside_the_build(name: str) -> None:
    """Whatever the name, one the rule lets through resolves below the build folder."""
    root = Path("/build/coffin_jumper")
    if path_problem(name) is None:
        assert (root / name).resolve().is_relative_to(root)
        assert name not in ("main.py", "boot.py")
