"""Stories of a PropNet entry being set up, retried and unloaded."""

from __future__ import annotations

from pathlib import Path

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .common import propnet_entry


async def test_entry_loads_and_unloads(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An entry loads once MQTT is there, and unloads cleanly."""
    entry = propnet_entry("halloween")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.prefix == "halloween"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_entry_waits_for_mqtt(hass: HomeAssistant) -> None:
    """Without an MQTT client the entry is retried later, not failed."""
    assert await async_setup_component(hass, "mqtt", {})
    entry = propnet_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "mqtt_unavailable"


@pytest.mark.blueprint_install
async def test_blueprints_are_installed_when_missing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    """Setting PropNet up puts its blueprints in place, leaving edited ones alone."""
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "blueprints" / "automation" / "propnet"
    folder.mkdir(parents=True)
    (folder / "scare_on_motion.yaml").write_text("# my own version\n")
    assert await async_setup_component(hass, "propnet", {})
    await hass.async_block_till_done()
    assert (folder / "scare_on_motion.yaml").read_text() == "# my own version\n"
    shipped = Path(__file__).parent.parent / "blueprints" / "automation" / "propnet"
    for name in (
        "prop_offline_alert.yaml",
        "lighting_follows.yaml",
        "show_schedule.yaml",
    ):
        assert (folder / name).read_text() == (shipped / name).read_text()


@pytest.mark.blueprint_install
async def test_a_blueprint_the_user_deleted_stays_deleted(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, tmp_path: Path
) -> None:
    """Installed once, deleted by the user: the next start does not bring it back."""
    from custom_components.propnet.blueprints import async_install_blueprints

    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "blueprints" / "automation" / "propnet"
    assert await async_setup_component(hass, "propnet", {})
    await hass.async_block_till_done()
    assert (folder / "show_schedule.yaml").exists()
    (folder / "show_schedule.yaml").unlink()
    await async_install_blueprints(hass)  # what the next start does
    assert not (folder / "show_schedule.yaml").exists()
    assert (folder / "prop_offline_alert.yaml").exists()


@pytest.mark.blueprint_install
async def test_a_read_only_config_folder_is_only_logged(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If the blueprints cannot be written, PropNet still sets up."""
    (tmp_path / "blueprints").write_text("a file where a folder should be")
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, "propnet", {})
    assert "Could not install PropNet's blueprints" in caplog.text


def test_the_schemas_run_on_the_validation_engine_this_run_asked_for() -> None:
    """Under ``-p tests.probatio_engine`` voluptuous is Probatio; else the real one."""
    import sys

    import voluptuous as vol

    from custom_components.propnet.services import SEND_COMMAND_SCHEMA

    engine = vol.Schema.__module__.split(".")[0]
    wanted = "probatio" if "tests.probatio_engine" in sys.modules else "voluptuous"
    assert engine == wanted
    assert type(SEND_COMMAND_SCHEMA).__module__.split(".")[0] == wanted
    with pytest.raises(vol.Invalid):
        SEND_COMMAND_SCHEMA({"device_id": "x", "action": "Not An Action"})
    assert SEND_COMMAND_SCHEMA({"device_id": "x", "action": "ping"}) == {
        "device_id": ["x"],
        "action": "ping",
    }
