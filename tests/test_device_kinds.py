"""Every kind of PropNet device through the device page: triggers, diagnostics, actions, delete.

A user with a props hub (the coffin jumper) and show lighting opens each
device page, downloads its diagnostics, picks it in propnet.send_command and
deletes it; each answers as its kind should, never with "Unknown error".
"""

from __future__ import annotations

from http import HTTPStatus

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.propnet.const import DOMAIN

from .common import propnet_entry
from .hub.prop import Prop
from .lighting.test_coordinator import lighting_entry, start

COFFIN = (DOMAIN, "propnet/coffin_jumper")
SHOW = (DOMAIN, "lighting:v1/demo/rgb")


@pytest.fixture
async def show(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> tuple[MockConfigEntry, MockConfigEntry, Prop]:
    """Return a props entry with the coffin jumper, and show lighting, both loaded."""
    assert await async_setup_component(hass, "config", {})
    for component in ("device_automation", "diagnostics"):
        assert await async_setup_component(hass, component, {})
    props = await start(hass, propnet_entry())
    prop = Prop(hass)
    await prop.connect()
    lighting = await start(hass, lighting_entry())
    return props, lighting, prop


def device(hass: HomeAssistant, identifier: tuple[str, str]) -> dr.DeviceEntry:
    """Return the device with ``identifier``."""
    found = dr.async_get(hass).async_get_device({identifier})
    assert found is not None
    return found


async def list_triggers(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, device_id: str
) -> list[dict[str, str]]:
    """List a device's triggers as the automation editor does."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "device_automation/trigger/list", "device_id": device_id}
    )
    response = await client.receive_json()
    assert response["success"], response
    return [t for t in response["result"] if t["domain"] == DOMAIN]


async def download_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    device_id: str,
) -> dict[str, object]:
    """Download a device's diagnostics as the device page does."""
    client = await hass_client()
    response = await client.get(
        f"/api/diagnostics/config_entry/{entry.entry_id}/device/{device_id}"
    )
    assert response.status == HTTPStatus.OK
    body: dict[str, object] = await response.json()
    return body


async def test_the_prop_device_page(
    hass: HomeAssistant,
    show: tuple[MockConfigEntry, MockConfigEntry, Prop],
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    """The prop offers its event triggers, its diagnostics, commands and deletion."""
    props, _, prop = show
    coffin = device(hass, COFFIN)
    triggers = await list_triggers(hass, hass_ws_client, coffin.id)
    assert {(t["subtype"], t["type"]) for t in triggers} == {
        ("scared", "scare"),
        ("scared", "abort"),
    }
    diagnostics = await download_diagnostics(hass, hass_client, props, coffin.id)
    assert diagnostics["data"]["prop_id"] == "coffin_jumper"  # type: ignore[index]
    response = await hass.services.async_call(
        DOMAIN,
        "send_command",
        {"device_id": coffin.id, "action": "ping"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["acks"][0]["ok"] is True  # type: ignore[index]
    assert prop.commands[-1]["action"] == "ping"
    client = await hass_ws_client(hass)
    removed = await client.remove_device(coffin.id, props.entry_id)
    assert removed["success"]
    await hass.async_block_till_done()
    assert dr.async_get(hass).async_get(coffin.id) is None


async def test_the_show_lighting_device_page(
    hass: HomeAssistant,
    show: tuple[MockConfigEntry, MockConfigEntry, Prop],
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Show lighting has no prop triggers, its own diagnostics, a clear refusal."""
    _, lighting, _ = show
    lights = device(hass, SHOW)
    assert await list_triggers(hass, hass_ws_client, lights.id) == []
    diagnostics = await download_diagnostics(hass, hass_client, lighting, lights.id)
    data = diagnostics["data"]
    assert data["base"] == "v1/demo/rgb"  # type: ignore[index]
    assert data["outputs"] == {}  # type: ignore[index]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "send_command",
            {"device_id": lights.id, "action": "ping"},
            blocking=True,
        )
    assert err.value.translation_key == "lighting_is_not_a_prop"
    assert "Show lighting is show lighting, not a prop" in str(err.value)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "propnet/log/subscribe", "device_id": lights.id}
    )
    watched = await client.receive_json()
    assert watched["error"]["code"] == "not_a_prop"
    refused = await client.remove_device(lights.id, lighting.entry_id)
    assert not refused["success"]
    assert dr.async_get(hass).async_get(lights.id) is not None
    assert hass.states.get("light.show_lighting") is not None
    assert not [
        s.entity_id
        for s in hass.states.async_all(("update", "select"))
        if s.entity_id.startswith(("update.show_lighting", "select.show_lighting"))
    ]


async def test_a_device_of_an_unloaded_entry(
    hass: HomeAssistant, show: tuple[MockConfigEntry, MockConfigEntry, Prop]
) -> None:
    """An action on a prop whose entry is unloaded says so instead of failing oddly."""
    props, _, _ = show
    coffin = device(hass, COFFIN)
    assert await hass.config_entries.async_unload(props.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "send_command",
            {"device_id": coffin.id, "action": "ping"},
            blocking=True,
        )
    assert err.value.translation_key == "entry_not_loaded"
