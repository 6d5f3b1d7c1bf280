"""Stories of the Firmware update entity: builds found, installs refused, one transfer at a time."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.propnet.hub.hub import PropHub
from custom_components.propnet.protocol.transfer import TransferError

from ..test_transfer import make_build
from .prop import Prop

FIRMWARE = "update.coffin_jumper_firmware"


def hub_of(entry: MockConfigEntry) -> PropHub:
    """Return the entry's hub."""
    hub = entry.runtime_data
    assert isinstance(hub, PropHub)
    return hub


async def builds_in(hass: HomeAssistant, entry: MockConfigEntry, root: Path) -> None:
    """Point the hub's firmware folder at ``root`` and look in it."""
    hub = hub_of(entry)
    hub.firmware.root = root
    await hub.firmware.async_scan()
    await hass.async_block_till_done()


async def install(hass: HomeAssistant, entity_id: str = FIRMWARE) -> None:
    """Press Install as the update dialog does."""
    await hass.services.async_call(
        "update", "install", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_a_build_in_the_folder_makes_an_update(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """No build: up to date. A build for the prop: update available with its version."""
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == "off"
    assert state.attributes["installed_version"] == "1.0.0"
    make_build(tmp_path / "coffin_jumper", {"prop.json": b"{}"})
    await builds_in(hass, entry, tmp_path)
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == "on"
    assert state.attributes["latest_version"] == "2.0"
    assert state.attributes["release_summary"] == "Notes"


async def test_builds_for_the_wrong_prop_are_reported_not_offered(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    prop: Prop,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A build in the wrong folder, or a broken one, is logged once and not offered."""
    make_build(tmp_path / "coffin_jumper", {"a": b"x"}, prop_id="talking_skull")
    (tmp_path / "other_prop").mkdir()
    caplog.set_level(logging.WARNING)
    await builds_in(hass, entry, tmp_path)
    await hub_of(entry).firmware.async_scan()
    warnings = [
        r.getMessage() for r in caplog.records if "Firmware build" in r.getMessage()
    ]
    assert len(warnings) == 2
    assert "the build is for talking_skull" in warnings[0]
    assert "manifest.json is missing" in warnings[1]
    assert hass.states.get(FIRMWARE).state == "off"  # type: ignore[union-attr]


async def test_install_without_a_build_or_to_an_offline_prop_says_why(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """Each refusal is a translated error; nothing is sent."""
    await builds_in(hass, entry, tmp_path)
    with pytest.raises(HomeAssistantError, match="No update available"):
        await install(hass)
    make_build(tmp_path / "coffin_jumper", {"a": b"x"})
    await builds_in(hass, entry, tmp_path)
    prop.go_offline()
    await hass.async_block_till_done()
    with pytest.raises(HomeAssistantError) as err:
        await install(hass)
    assert err.value.translation_key == "prop_offline"
    assert hass.states.get(FIRMWARE).state == "on"  # type: ignore[union-attr]
    assert not [c for c in prop.commands if c["action"].startswith("update_")]


async def test_a_build_removed_after_it_was_found_is_not_sent(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """The folder was cleared before Install: bad_build naming the missing file."""
    make_build(tmp_path / "coffin_jumper", {"a": b"x"})
    await builds_in(hass, entry, tmp_path)
    (tmp_path / "coffin_jumper" / "a").unlink()
    with pytest.raises(HomeAssistantError) as err:
        await install(hass)
    assert err.value.translation_key == "update_bad_build"
    assert (
        err.value.translation_placeholders["detail"] == "a: No such file or directory"
    )


async def test_a_build_changed_on_disk_is_not_sent(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """A file that no longer matches its manifest: bad_build, before any command."""
    make_build(tmp_path / "coffin_jumper", {"a": b"x"})
    await builds_in(hass, entry, tmp_path)
    (tmp_path / "coffin_jumper" / "a").write_bytes(b"y")
    with pytest.raises(HomeAssistantError) as err:
        await install(hass)
    assert err.value.translation_key == "update_bad_build"
    assert err.value.translation_placeholders["detail"] == (
        "a does not match the build's manifest"
    )
    assert hass.states.get(FIRMWARE).attributes["in_progress"] is False  # type: ignore[union-attr]


async def test_a_rollback_is_an_error_and_stays_on_the_entity(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """The prop rolled back: the install fails with its reason, the entity keeps it."""
    make_build(tmp_path / "coffin_jumper", {"a": b"x"})
    await builds_in(hass, entry, tmp_path)

    async def rolled_back(*_: Any, **__: Any) -> str:
        return "rolled back: the new firmware did not stay online"

    with (
        patch("custom_components.propnet.update.install", rolled_back),
        pytest.raises(HomeAssistantError) as err,
    ):
        await install(hass)
    assert err.value.translation_key == "update_rolled_back"
    assert err.value.translation_placeholders["reason"] == (
        "the new firmware did not stay online"
    )
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.attributes["last_install"] == (
        "rolled back: the new firmware did not stay online"
    )


async def test_a_transfer_error_is_translated(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """A prop that never came back: update_no_restart, with the detail."""
    make_build(tmp_path / "coffin_jumper", {"a": b"x"})
    await builds_in(hass, entry, tmp_path)

    async def gone(*_: Any, **__: Any) -> str:
        raise TransferError("no_restart", "the prop did not restart")

    with (
        patch("custom_components.propnet.update.install", gone),
        pytest.raises(HomeAssistantError) as err,
    ):
        await install(hass)
    assert err.value.translation_key == "update_no_restart"


async def test_two_props_update_one_after_the_other(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """Install on two props at once: the second transfer starts when the first ends."""
    skull = Prop(
        hass, prop_id="talking_skull", name="Talking Skull", mac="a4:cf:12:00:00:02"
    )
    await skull.connect()
    for prop_id in ("coffin_jumper", "talking_skull"):
        make_build(tmp_path / prop_id, {"a": b"x"}, prop_id=prop_id)
    await builds_in(hass, entry, tmp_path)
    running: list[str] = []
    overlaps: list[list[str]] = []

    async def slow(link: Any, files: Any, **kwargs: Any) -> str:
        running.append(link.prop_id)
        overlaps.append(list(running))
        kwargs["progress"](0, 1, "starting")
        await asyncio.sleep(0.05)
        running.remove(link.prop_id)
        return "kept 2.0"

    with patch("custom_components.propnet.update.install", slow):
        await asyncio.gather(
            install(hass), install(hass, "update.talking_skull_firmware")
        )
    assert overlaps == [["coffin_jumper"], ["talking_skull"]]
    for entity_id in (FIRMWARE, "update.talking_skull_firmware"):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes["last_install"] == "kept 2.0"
        assert state.attributes["in_progress"] is False


async def test_install_through_the_scripted_prop_sends_the_build(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """The real transfer over the hub: begin, every chunk, commit, in that order."""
    make_build(tmp_path / "coffin_jumper", {"prop.json": b"{}" * 2000})
    await builds_in(hass, entry, tmp_path)

    async def no_restart(*_: Any) -> None:
        raise TransferError(
            "no_restart", "the prop did not restart and come back online"
        )

    with (
        patch("custom_components.propnet.update.HubLink.wait_restart", no_restart),
        pytest.raises(HomeAssistantError) as err,
    ):
        await install(hass)
    assert err.value.translation_key == "update_no_restart"
    actions = [c["action"] for c in prop.commands]
    assert actions == ["update_begin", "update_chunk", "update_chunk", "update_commit"]
    chunk = prop.commands[1]["params"]
    assert (chunk["path"], chunk["offset"]) == ("prop.json", 0)


async def test_a_prop_that_cannot_identify_gets_no_identify_button(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """identify: false in the announce: Restart and Firmware, but no Identify."""
    door = Prop(hass, prop_id="door", name="Door", entities=[], mac="a4:cf:12:00:00:03")
    door.announcement["identify"] = False
    await door.connect()
    assert hass.states.get("button.door_identify") is None
    assert hass.states.get("button.door_restart") is not None
    assert hass.states.get("update.door_firmware") is not None


async def test_a_build_is_offered_only_on_the_prefix_it_was_built_for(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """Two hubs share one folder and one scan; a build for "halloween" is not this prop's."""
    from custom_components.propnet.hub.firmware import firmware_folder
    from tests.common import propnet_entry

    other = propnet_entry("halloween")
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    assert hub_of(other).firmware is hub_of(entry).firmware is firmware_folder(hass)
    make_build(tmp_path / "coffin_jumper", {"prop.json": b"{}"}, prefix="halloween")
    await builds_in(hass, entry, tmp_path)
    assert hub_of(other).release("coffin_jumper") is not None
    assert hub_of(entry).release("coffin_jumper") is None
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == "off"
    make_build(tmp_path / "coffin_jumper", {"prop.json": b"{}"}, prefix="propnet")
    await builds_in(hass, entry, tmp_path)
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.state == "on"
    # Unloading one hub keeps the other's scans going; the last one stops them.
    assert await hass.config_entries.async_unload(other.entry_id)
    assert firmware_folder(hass)._stop_timer is not None


async def test_how_the_last_install_ended_survives_a_restart(
    hass: HomeAssistant, mqtt_mock: Any
) -> None:
    """Restored from Home Assistant's saved states: the attribute is there after a restart."""
    from homeassistant.core import State
    from pytest_homeassistant_custom_component.common import mock_restore_cache

    from tests.common import propnet_entry

    mock_restore_cache(
        hass, [State(FIRMWARE, "off", {"last_install": "rolled back: no wifi"})]
    )
    entry = propnet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coffin = Prop(hass)
    await coffin.connect()
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert state.attributes["last_install"] == "rolled back: no wifi"


async def test_release_notes_are_offered_only_when_the_build_has_some(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    prop: Prop,
    tmp_path: Path,
    hass_ws_client: Any,
) -> None:
    """Up to date, or a build without notes: the dialog is not told to wait for notes."""
    from homeassistant.components.update import UpdateEntityFeature

    def features() -> int:
        state = hass.states.get(FIRMWARE)
        assert state is not None
        return int(state.attributes["supported_features"])

    assert not features() & UpdateEntityFeature.RELEASE_NOTES
    make_build(tmp_path / "coffin_jumper", {"prop.json": b"{}"})  # notes "Notes"
    await builds_in(hass, entry, tmp_path)
    assert features() & UpdateEntityFeature.RELEASE_NOTES
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "update/release_notes", "entity_id": FIRMWARE}
    )
    answer = await client.receive_json()
    assert answer["success"]
    assert answer["result"] == "Notes"


async def test_the_installed_version_changes_only_once_the_prop_keeps_the_update(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop, tmp_path: Path
) -> None:
    """During the trial the prop already announces 2.0; the entity says 1.0.0 until it is kept."""
    make_build(tmp_path / "coffin_jumper", {"a": b"x"})
    await builds_in(hass, entry, tmp_path)
    seen: list[str] = []

    async def trial(link: Any, files: Any, **kwargs: Any) -> str:
        prop.announcement["sw_version"] = "2.0"
        await prop.connect()  # the trial boot announces the new version
        state = hass.states.get(FIRMWARE)
        assert state is not None
        seen.append(state.attributes["installed_version"])
        return "kept 2.0"

    with patch("custom_components.propnet.update.install", trial):
        await install(hass)
    state = hass.states.get(FIRMWARE)
    assert state is not None
    assert seen == ["1.0.0"]
    assert state.attributes["installed_version"] == "2.0"
    assert state.state == "off"
