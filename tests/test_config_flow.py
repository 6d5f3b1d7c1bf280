"""Stories of a user setting PropNet up, by hand and from a prop's announce."""

from __future__ import annotations

from datetime import UTC, datetime
import json

from homeassistant.config_entries import (
    SOURCE_MQTT,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import async_fire_mqtt_message
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.propnet.const import CONF_PREFIX, DOMAIN

from .common import propnet_entry

COFFIN_ANNOUNCE = json.dumps(
    {"v": 1, "id": "coffin_jumper", "name": "Coffin Jumper", "entities": []}
)


async def start_props_flow(hass: HomeAssistant) -> ConfigFlowResult:
    """Open the set-up menu and choose props, as a user does."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["props", "lighting"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "props"}
    )


def announce_info(
    topic: str = "propnet/coffin_jumper/announce",
    payload: str | bytes = COFFIN_ANNOUNCE,
) -> MqttServiceInfo:
    """Return what Home Assistant hands a flow when an announce arrives."""
    return MqttServiceInfo(
        topic=topic,
        payload=payload,
        qos=1,
        retain=True,
        subscribed_topic="propnet/+/announce",
        timestamp=datetime.now(UTC),
    )


async def test_user_sets_up_the_default_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A user adds PropNet and keeps the suggested prefix."""
    result = await start_props_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "props"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "propnet"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "PropNet"
    assert result["data"] == {"kind": "props", CONF_PREFIX: "propnet"}
    entry = result["result"]
    assert entry.unique_id == "propnet"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_user_sets_up_a_custom_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A haunted house with its own prefix gets an entry named after it."""
    result = await start_props_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "  halloween/props-2026 "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "PropNet (halloween/props-2026)"
    assert result["data"] == {"kind": "props", CONF_PREFIX: "halloween/props-2026"}


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "propnet/#",
        "propnet/+",
        "a//b",
        "/propnet",
        "propnet/",
        "prop net",
        "p" * 129,
    ],
)
async def test_user_gets_a_clear_error_for_a_bad_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, prefix: str
) -> None:
    """A prefix with wildcards or empty levels is refused, and can be fixed."""
    result = await start_props_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: prefix}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PREFIX: "invalid_prefix"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "propnet"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_one_entry_per_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Adding the same prefix twice is refused; another prefix is welcome."""
    propnet_entry("propnet").add_to_hass(hass)
    result = await start_props_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "propnet"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await start_props_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "escape_room"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_is_told_to_set_up_mqtt_first(hass: HomeAssistant) -> None:
    """Without Home Assistant's MQTT integration there is nothing to talk through."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_a_prop_announcing_offers_propnet(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A new prop's retained announce makes Home Assistant offer PropNet."""
    async_fire_mqtt_message(
        hass, "propnet/coffin_jumper/announce", COFFIN_ANNOUNCE, qos=1, retain=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    flow = flows[0]
    assert flow["step_id"] == "discovery_confirm"
    assert flow["context"]["title_placeholders"] == {"name": "Coffin Jumper"}

    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "PropNet"
    assert result["data"] == {"kind": "props", CONF_PREFIX: "propnet"}


async def test_more_props_announcing_offer_propnet_once(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A room full of props makes one offer, not one per prop."""
    first = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=announce_info()
    )
    assert first["type"] is FlowResultType.FORM
    second = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=announce_info(
            "propnet/eyes/announce", json.dumps({"v": 1, "id": "eyes", "name": "Eyes"})
        ),
    )
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"


async def test_a_user_adding_propnet_while_a_prop_offers_it_is_not_turned_away(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A prop's offer is waiting when the user adds PropNet by hand: the user's set-up goes through and the offer ends."""
    offer = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=announce_info()
    )
    assert offer["type"] is FlowResultType.FORM

    result = await start_props_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "propnet"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "propnet"
    await hass.async_block_till_done()
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_announce_after_set_up_offers_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Once PropNet serves the default prefix, announces start no flow."""
    propnet_entry().add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=announce_info()
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        ("not json", "coffin_jumper"),
        (json.dumps(["a", "list"]), "coffin_jumper"),
        (json.dumps({"v": 1, "name": "  "}), "coffin_jumper"),
        (json.dumps({"v": 1, "name": 7}), "coffin_jumper"),
        (b'{"name": "Coffin \\u00e9"}', "Coffin \u00e9"),
        (b'{"v": 1, "name": "Coffin", "x": NaN}', "coffin_jumper"),
        (b'{"v": 1, "name": "Coffin \xff"}', "coffin_jumper"),
        pytest.param(
            json.dumps({"v": 1, "name": "Coffin", "pad": "x" * 17000}),
            "coffin_jumper",
            id="over the announce size limit",
        ),
        pytest.param(
            json.dumps({"v": 1, "name": "Coffin", "pad": "x" * 8000}),
            "Coffin",
            id="under the announce size limit",
        ),
    ],
)
async def test_an_announce_without_a_usable_name_shows_the_prop_id(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, payload: str | bytes, name: str
) -> None:
    """The offer names the prop by its id when the announce gives no name."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=announce_info(payload=payload)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {"name": name}


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("propnet/coffin_jumper/announce", ""),
        ("propnet/Coffin/announce", COFFIN_ANNOUNCE),
        ("propnet/a/b/announce", COFFIN_ANNOUNCE),
        ("propnet/coffin_jumper/status", COFFIN_ANNOUNCE),
        ("other/coffin_jumper/announce", COFFIN_ANNOUNCE),
    ],
)
async def test_a_message_that_is_no_announce_offers_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, topic: str, payload: str
) -> None:
    """A removal, a bad prop id or a stray topic does not start a set-up."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_MQTT},
        data=announce_info(topic=topic, payload=payload),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_user_changes_the_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Reconfiguring moves the entry to a new prefix and reloads it."""
    entry = propnet_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    old_prop = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "propnet/coffin_jumper")}
    )

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "propnet/#"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PREFIX: "invalid_prefix"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "halloween"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data == {CONF_PREFIX: "halloween"}
    assert entry.unique_id == "halloween"
    assert entry.title == "PropNet (halloween)"
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.prefix == "halloween"
    # Props of the old prefix are no longer followed, so their devices go.
    assert dr.async_get(hass).async_get(old_prop.id) is None


async def test_reconfigure_keeping_the_prefix_is_fine(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Submitting the form unchanged is not mistaken for a duplicate."""
    entry = propnet_entry()
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "propnet"}
    )
    # The entry reloads; let it finish before the test ends.
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_PREFIX: "propnet"}


async def test_reconfigure_cannot_take_another_entrys_prefix(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Two entries never follow the same prefix."""
    entry = propnet_entry("propnet")
    entry.add_to_hass(hass)
    propnet_entry("halloween").add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "halloween"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_PREFIX: "propnet"}
