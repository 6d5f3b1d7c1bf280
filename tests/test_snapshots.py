"""What a user finds in Home Assistant for a prop and for show lighting, kept in snapshots."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.propnet.const import DOMAIN, PLATFORMS

from .common import propnet_entry
from .hub.prop import Prop
from .lighting.test_coordinator import lighting_entry, send, settle, start
from .lighting.test_fixture_kinds import RIG

pytestmark = pytest.mark.usefixtures("all_entities_enabled")


@pytest.fixture
def platform(request: pytest.FixtureRequest) -> Generator[Platform]:
    """Load only the platform the test is about, as snapshot_platform needs."""
    with (
        patch("custom_components.propnet.PLATFORMS", [request.param]),
        patch("custom_components.propnet.LIGHTING_PLATFORMS", [request.param]),
    ):
        yield request.param


# The coffin jumper has every kind of entity but a show's media player.
@pytest.mark.parametrize(
    "platform", [p for p in PLATFORMS if p is not Platform.MEDIA_PLAYER], indirect=True
)
async def test_the_coffin_jumpers_entities(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Each platform's entities of the coffin jumper, in the registry and as states."""
    entry = propnet_entry()
    await start(hass, entry)
    await Prop(hass).connect()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_the_coffin_jumpers_device(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The device page's facts come from the announce."""
    await start(hass, propnet_entry())
    await Prop(hass).connect()
    device = device_registry.async_get_device({(DOMAIN, "propnet/coffin_jumper")})
    assert device == snapshot


@pytest.mark.parametrize(
    "platform", [Platform.LIGHT, Platform.NUMBER, Platform.SENSOR], indirect=True
)
async def test_show_lightings_entities(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Show lighting with a fixture of each kind and the OLA output configured."""
    entry = await start(
        hass, lighting_entry(fixtures=RIG, ola_url="http://127.0.0.1:9")
    )
    if platform is Platform.LIGHT:
        # Not for the sensors: the apply latency differs from run to run.
        send(hass, 255, 128, 0, cmd_id="01HZX3YJ9YJ3M5QAZ3GZ8K3QFF")
        await settle(hass)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_diagnostics_of_both_entry_kinds(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics of a props entry, a prop, show lighting and its device."""
    props_entry = await start(hass, propnet_entry())
    prop = Prop(hass)
    await prop.connect()
    prop.send("status", {"ghost": 1})
    lighting = await start(hass, lighting_entry())
    send(hass, 10, 20, 30, cmd_id="01HZX3YJ9YJ3M5QAZ3GZ8K3QFF")
    await settle(hass)
    coffin = device_registry.async_get_device({(DOMAIN, "propnet/coffin_jumper")})
    show = device_registry.async_get_device({(DOMAIN, "lighting:v1/demo/rgb")})
    assert coffin is not None
    assert show is not None
    no_times = props("ts", "last_latency_ms")
    assert await get_diagnostics_for_config_entry(
        hass, hass_client, props_entry
    ) == snapshot(name="props-entry")
    assert await get_diagnostics_for_device(
        hass, hass_client, props_entry, coffin
    ) == snapshot(name="prop-device")
    assert await get_diagnostics_for_config_entry(
        hass, hass_client, lighting
    ) == snapshot(name="lighting-entry", exclude=no_times)
    assert await get_diagnostics_for_device(
        hass, hass_client, lighting, show
    ) == snapshot(name="lighting-device", exclude=no_times)


ROOM_SHOW = """\
name: Crypt
cycle:
  trigger: {entity_id: binary_sensor.crypt_motion, to: "on"}
  cooldown: 30
cues:
  - {at: 0, prop: coffin_jumper, run: scare}
  - {at: 1, light: Main, rgb: [255, 0, 0]}
duration: 5
"""


@pytest.mark.parametrize(
    "platform",
    [
        Platform.EVENT,
        Platform.MEDIA_PLAYER,
        Platform.NUMBER,
        Platform.SENSOR,
        Platform.SWITCH,
    ],
    indirect=True,
)
async def test_a_haunt_rooms_show_entities(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
    tmp_path: Path,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A show with a cycle: its media player, Runs, Last run, Cycle, Armed, Cooldown and show event."""
    freezer.move_to("2026-10-31 20:00:00+00:00")
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "propnet" / "shows"
    folder.mkdir(parents=True)
    (folder / "crypt.yaml").write_text(ROOM_SHOW)
    entry = propnet_entry()
    await start(hass, entry)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
