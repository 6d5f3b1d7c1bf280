"""Stories of show files: a show becomes a media player, starts only when its props are ready, and a bad file is a repair."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
import gc
from pathlib import Path
import sys
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.propnet.hub.clock import hub_clock
from custom_components.propnet.show.interpreter import SWITCH_INTERVAL
from custom_components.propnet.shows import WATCH_INTERVAL

from ..common import propnet_entry
from .prop import Prop

ROOM = """\
name: Room show
lead: 0.2
cues:
  - {at: 0, prop: skull, turn_on: lid}
  - {at: 1.5, prop: skull, turn_off: lid}
duration: 3
"""
PLAYER = "media_player.room_show"


def write_show(hass: HomeAssistant, name: str, text: str) -> Path:
    """Put a show file where PropNet reads them."""
    folder = Path(hass.config.path("propnet", "shows"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


@pytest.fixture
async def skull(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    socket_enabled: None,
    tmp_path: Path,
) -> AsyncIterator[Prop]:
    """Load PropNet with the room show, and connect a prop with shows whose clock is synced."""
    # The test config folder is shared by every test: the shows go in one of this test's own.
    hass.config.config_dir = str(tmp_path)
    write_show(hass, "room", ROOM)
    entry: MockConfigEntry = propnet_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    prop = Prop(
        hass,
        prop_id="skull",
        name="Skull",
        entities=[
            {"key": "lid", "type": "switch"},
            {"key": "clock_synced", "type": "binary_sensor"},
        ],
    )
    prop.announcement["show"] = {"v": 1, "max_cues": 64}
    prop.state = {"lid": False, "clock_synced": True}
    await prop.connect()
    yield prop
    hub_clock(hass).close()


async def play(hass: HomeAssistant) -> None:
    """Press play on the show, as a dashboard does."""
    await hass.services.async_call(
        "media_player", "media_play", {"entity_id": PLAYER}, blocking=True
    )


async def test_a_show_file_is_a_media_player_that_sends_its_cues_ahead(
    hass: HomeAssistant, skull: Prop
) -> None:
    """Play loads the prop's cues and starts them on the hub's clock; the player says playing."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3))
    await hass.async_block_till_done()
    state = hass.states.get(PLAYER)
    assert state is not None
    assert state.state == "idle"
    assert state.attributes["not_ready"] == {}
    assert state.attributes["media_duration"] == 3
    assert state.attributes["props"] == ["skull"]
    assert state.attributes["not_synced"] == []
    await play(hass)
    actions = [c["action"] for c in skull.commands]
    assert actions[-2:] == ["show_load", "show_start"]
    load = skull.commands[-2]["params"]
    assert load["cues"] == [[0, "on", "lid", None, 20], [1500, "off", "lid", None, 20]]
    assert hass.states.get(PLAYER).state == "playing"
    await hass.services.async_call(
        "media_player", "media_pause", {"entity_id": PLAYER}, blocking=True
    )
    assert skull.commands[-1]["action"] == "show_pause"
    assert hass.states.get(PLAYER).state == "paused"
    await hass.services.async_call(
        "media_player", "media_stop", {"entity_id": PLAYER}, blocking=True
    )
    assert skull.commands[-1]["action"] == "show_stop"
    assert hass.states.get(PLAYER).state == "idle"


async def test_while_a_show_plays_neither_a_collection_nor_another_thread_holds_its_cues(
    hass: HomeAssistant, skull: Prop, hass_client: ClientSessionGenerator
) -> None:
    """What was alive at play is frozen out of collections and threads switch every half millisecond; pause, stop and unload give both back, and diagnostics say so."""
    entry = hass.config_entries.async_entries("propnet")[0]
    # Home Assistant's test plugin (2026.2) freezes the heap for each module.
    gc.unfreeze()
    interval = sys.getswitchinterval()
    await play(hass)
    assert gc.get_freeze_count() > 10_000, "Home Assistant's own objects"
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL, rel=0.01)
    shows = (await get_diagnostics_for_config_entry(hass, hass_client, entry))["shows"]
    assert shows["heap_frozen"] is True
    assert shows["shows"]["room"]["state"] == "playing"
    await hass.services.async_call(
        "media_player", "media_pause", {"entity_id": PLAYER}, blocking=True
    )
    assert gc.get_freeze_count() == 0, "paused, no cue is due"
    assert sys.getswitchinterval() == pytest.approx(interval, rel=0.01)
    await hass.services.async_call(
        "media_player", "media_play", {"entity_id": PLAYER}, blocking=True
    )
    assert gc.get_freeze_count() > 0
    await hass.services.async_call(
        "media_player", "media_stop", {"entity_id": PLAYER}, blocking=True
    )
    assert gc.get_freeze_count() == 0
    await play(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert gc.get_freeze_count() == 0, "unloaded while playing"
    assert sys.getswitchinterval() == pytest.approx(interval, rel=0.01)


async def test_a_show_whose_prop_is_not_synced_does_not_start_and_says_why(
    hass: HomeAssistant, skull: Prop
) -> None:
    """The refusal names the prop and the reason, and nothing is sent."""
    skull.send("status", {"clock_synced": False})
    await hass.async_block_till_done()
    sent = len(skull.commands)
    with pytest.raises(ServiceValidationError) as err:
        await play(hass)
    assert err.value.translation_key == "show_not_ready"
    assert (
        err.value.translation_placeholders["reasons"]
        == "skull (its clock is not synced)"
    )
    assert len(skull.commands) == sent
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3))
    await hass.async_block_till_done()
    assert hass.states.get(PLAYER).attributes["not_ready"] == {
        "skull": "clock not synced"
    }
    issue = ir.async_get(hass).async_get_issue("propnet", "show_not_ready_room")
    assert issue is not None
    assert (
        issue.translation_placeholders["reasons"] == "skull (its clock is not synced)"
    )
    # Started anyway, Home Assistant sends the unsynced prop its cues itself.
    await hass.services.async_call(
        "propnet", "start_show", {"entity_id": PLAYER, "anyway": True}, blocking=True
    )
    await asyncio.sleep(0.4)
    await hass.async_block_till_done()
    assert {"action": "set", "key": "lid", "value": True}.items() <= skull.commands[
        -1
    ].items()
    assert "show_load" not in [c["action"] for c in skull.commands[sent:]]
    # Once the prop is ready again the repair goes.
    skull.send("status", {"clock_synced": True})
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue("propnet", "show_not_ready_room") is None


async def test_a_bad_show_file_is_a_repair_until_it_is_fixed_and_reloaded(
    hass: HomeAssistant, skull: Prop
) -> None:
    """The repair names the file and line; fixing the file and reloading adds the show."""
    write_show(
        hass, "crypt", "cues:\n  - at: soon\n    prop: skull\n    turn_on: lid\n"
    )
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue("propnet", "show_invalid_crypt")
    assert issue is not None
    assert (
        "crypt.yaml:2: cues[0].at: must be seconds"
        in issue.translation_placeholders["errors"]
    )
    assert hass.states.get(PLAYER) is not None, "the good show still runs"
    write_show(
        hass, "crypt", "name: Crypt\ncues:\n  - {at: 1, prop: skull, turn_on: lid}\n"
    )
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue("propnet", "show_invalid_crypt") is None
    assert hass.states.get("media_player.crypt") is not None
    (Path(hass.config.path("propnet", "shows")) / "crypt.yaml").unlink()
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get("media_player.crypt") is None


async def test_a_show_edited_keeps_what_the_user_set_on_its_entities(
    hass: HomeAssistant, skull: Prop
) -> None:
    """Renamed and put in an area, the show's player stays so when its file is edited; deleted, it goes."""
    cellar = ar.async_get(hass).async_create("Cellar")
    registry = er.async_get(hass)
    player = registry.async_get(PLAYER)
    assert player is not None
    registry.async_update_entity(
        PLAYER,
        new_entity_id="media_player.crypt_of_doom",
        name="Crypt of doom",
        area_id=cellar.id,
    )
    await hass.async_block_till_done()
    assert (
        hass.states.get("media_player.crypt_of_doom").attributes["media_duration"] == 3
    )

    write_show(hass, "room", ROOM.replace("duration: 3", "duration: 5"))
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()

    kept = registry.async_get("media_player.crypt_of_doom")
    assert kept is not None
    assert (kept.unique_id, kept.name, kept.area_id) == (
        player.unique_id,
        "Crypt of doom",
        cellar.id,
    )
    state = hass.states.get("media_player.crypt_of_doom")
    assert state.attributes["media_duration"] == 5, "the edited show, not the old one"
    assert hass.states.get(PLAYER) is None
    await hass.services.async_call(
        "media_player",
        "media_play",
        {"entity_id": "media_player.crypt_of_doom"},
        blocking=True,
    )
    assert hass.states.get("media_player.crypt_of_doom").state == "playing"

    await hass.services.async_call(
        "media_player",
        "media_stop",
        {"entity_id": "media_player.crypt_of_doom"},
        blocking=True,
    )

    # Given a haunt cycle the room gets its Armed switch; without it again,
    # the switch leaves the registry and the renamed player stays.
    cycle = "cycle:\n  trigger: {entity_id: binary_sensor.motion, to: 'on'}\n"
    write_show(hass, "room", cycle + ROOM)
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()
    assert registry.async_get("switch.room_show_armed") is not None
    write_show(hass, "room", ROOM)
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()
    assert registry.async_get("switch.room_show_armed") is None
    assert hass.states.get("switch.room_show_armed") is None
    assert registry.async_get("media_player.crypt_of_doom") is not None

    (Path(hass.config.path("propnet", "shows")) / "room.yaml").unlink()
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    await hass.async_block_till_done()
    assert registry.async_get("media_player.crypt_of_doom") is None
    assert hass.states.get("media_player.crypt_of_doom") is None


async def test_a_show_saved_added_or_deleted_is_read_again_without_a_reload(
    hass: HomeAssistant, skull: Prop, freezer: FrozenDateTimeFactory
) -> None:
    """The folder is watched: a change is read once it has settled for a look, no action needed."""

    async def look() -> None:
        freezer.tick(WATCH_INTERVAL)
        async_fire_time_changed(hass)
        # The look runs as a background task of Home Assistant's.
        await hass.async_block_till_done(wait_background_tasks=True)

    path = write_show(
        hass, "crypt", "name: Crypt\ncues:\n  - {at: 1, prop: skull, turn_on: lid}\n"
    )
    await look()
    # Seen once: it may still be being written.
    assert hass.states.get("media_player.crypt") is None
    await look()
    assert hass.states.get("media_player.crypt") is not None

    path.write_text("cues:\n  - at: soon\n")
    await look()
    await look()
    issue = ir.async_get(hass).async_get_issue("propnet", "show_invalid_crypt")
    assert issue is not None
    assert hass.states.get(PLAYER) is not None, "the other show runs on"

    path.unlink()
    await look()
    await look()
    assert ir.async_get(hass).async_get_issue("propnet", "show_invalid_crypt") is None
    assert hass.states.get("media_player.crypt") is None
    # Nothing changed since: the shows are not read again.
    with patch("custom_components.propnet.shows._read") as read:
        await look()
        await look()
    read.assert_not_called()


async def test_a_show_is_exported_as_one_file_and_imported_back(
    hass: HomeAssistant, skull: Prop, hass_read_only_user: MockUser
) -> None:
    """Export, lose the show, import it back; an import over it needs replace; only administrators."""
    response = await hass.services.async_call(
        "propnet",
        "export_show",
        {"show": "room"},
        blocking=True,
        return_response=True,
    )
    exported = Path(str(response["file"]))
    assert exported == Path(hass.config.path("propnet/exports/room.propnet-show.zip"))
    size = (await hass.async_add_executor_job(exported.stat)).st_size
    assert size == response["bytes"]

    (Path(hass.config.path("propnet", "shows")) / "room.yaml").unlink()
    await hass.services.async_call("propnet", "reload_shows", blocking=True)
    assert hass.states.get(PLAYER) is None
    response = await hass.services.async_call(
        "propnet",
        "import_show",
        {"file": "propnet/exports/room.propnet-show.zip"},
        blocking=True,
        return_response=True,
    )
    assert response == {"show": "room"}
    assert hass.states.get(PLAYER) is not None

    with pytest.raises(ServiceValidationError, match="already in"):
        await hass.services.async_call(
            "propnet",
            "import_show",
            {"file": "propnet/exports/room.propnet-show.zip"},
            blocking=True,
            return_response=True,
        )
    for outside in ("../../etc/passwd", "/etc/passwd", "propnet/exports/none.zip"):
        with pytest.raises(ServiceValidationError, match="not a file in the config"):
            await hass.services.async_call(
                "propnet",
                "import_show",
                {"file": outside, "replace": True},
                blocking=True,
                return_response=True,
            )
    with pytest.raises(ServiceValidationError, match="no show 'cellar'"):
        await hass.services.async_call(
            "propnet",
            "export_show",
            {"show": "cellar"},
            blocking=True,
            return_response=True,
        )
    # They write files in the config folder: not for every user.
    with pytest.raises(ServiceValidationError, match="Only an administrator"):
        await hass.services.async_call(
            "propnet",
            "import_show",
            {"file": "propnet/exports/room.propnet-show.zip", "replace": True},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
