"""Stories of commands that fail: the user is told, never left guessing."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from homeassistant.components.mqtt import MQTT_CONNECTION_STATE
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.propnet.hub.hub import PropHub

from .prop import Prop


async def press_scare(hass: HomeAssistant) -> None:
    """Press the coffin jumper's scare button as a dashboard does."""
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: "button.coffin_jumper_scare"}, blocking=True
    )


async def test_a_refused_command_is_an_error(hass: HomeAssistant, prop: Prop) -> None:
    """ok: false becomes an error naming the prop, action, code and message."""
    prop.reply = "busy"
    with pytest.raises(HomeAssistantError) as err:
        await press_scare(hass)
    assert err.value.translation_key == "command_failed"
    assert err.value.translation_placeholders == {
        "prop": "Coffin Jumper",
        "action": "press",
        "error": "busy",
        "message": "lid jammed",
    }
    assert 'Coffin Jumper refused "press": busy lid jammed' in str(err.value)


async def test_a_missing_ack_is_an_error(hass: HomeAssistant, prop: Prop) -> None:
    """No ack within the contract's 5 seconds is a timeout, not a success."""
    prop.reply = "silent"
    with (
        patch("custom_components.propnet.hub.commands.ACK_TIMEOUT", 0.05),
        pytest.raises(HomeAssistantError) as err,
    ):
        await press_scare(hass)
    assert err.value.translation_key == "command_timeout"
    assert entry_hub(hass).commands._pending == {}


async def test_an_offline_prop_fails_at_once(hass: HomeAssistant, prop: Prop) -> None:
    """Commands to a prop whose last will said offline are refused right away."""
    prop.go_offline()
    await hass.async_block_till_done()
    hub = entry_hub(hass)
    with pytest.raises(HomeAssistantError) as err:
        await hub.async_command("coffin_jumper", "press", "scare")
    assert err.value.translation_key == "prop_offline"
    with pytest.raises(HomeAssistantError) as err:
        await hub.async_command("nobody", "ping")
    assert err.value.translation_key == "prop_offline"


async def waiting_command(hass: HomeAssistant, prop: Prop) -> asyncio.Task[Any]:
    """Start a ping that the silent prop has received but not answered."""
    prop.reply = "silent"
    seen = len(prop.commands)
    task = asyncio.create_task(entry_hub(hass).async_command("coffin_jumper", "ping"))
    for _ in range(100):
        if len(prop.commands) > seen:
            return task
        await asyncio.sleep(0.001)
    raise AssertionError("the command never reached the prop")


async def test_commands_fail_while_the_broker_is_gone(
    hass: HomeAssistant, prop: Prop
) -> None:
    """Without the broker nothing can reach a prop, and waiting commands fail."""
    hub = entry_hub(hass)
    waiting = await waiting_command(hass, prop)
    async_dispatcher_send(hass, MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()
    assert hass.states.get("switch.coffin_jumper_lid").state == "unavailable"
    with pytest.raises(HomeAssistantError) as err:
        await waiting
    assert err.value.translation_key == "broker_unavailable"
    with pytest.raises(HomeAssistantError) as err:
        await hub.async_command("coffin_jumper", "ping")
    assert err.value.translation_key == "broker_unavailable"


async def test_unloading_fails_waiting_commands(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop
) -> None:
    """A command waiting when PropNet unloads ends with an error, not forever."""
    waiting = await waiting_command(hass, prop)
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(HomeAssistantError) as err:
        await waiting
    assert err.value.translation_key == "unloaded"


async def test_late_and_foreign_acks_are_counted(
    hass: HomeAssistant, prop: Prop
) -> None:
    """An ack no command waits for, or from the wrong prop, is dropped and counted."""
    hub = entry_hub(hass)
    prop.send("ack", {"correlation_id": "nobody-asked", "ok": True})
    await hass.async_block_till_done()
    assert hub.drops.counts["unmatched_ack"] == 1

    waiting = await waiting_command(hass, prop)
    cid = prop.commands[-1]["correlation_id"]
    other = Prop(hass, prop_id="eyes", name="Eyes", mac="a4:cf:12:00:00:02")
    await other.connect()
    other.send("ack", {"correlation_id": cid, "ok": True})
    await asyncio.sleep(0)
    assert hub.drops.counts["ack_mismatch"] == 1
    prop.send("ack", {"correlation_id": cid, "ok": True})
    ack = await waiting
    assert ack.ok


def entry_hub(hass: HomeAssistant) -> PropHub:
    """Return the hub of the only PropNet entry."""
    return hass.config_entries.async_entries("propnet")[0].runtime_data


async def test_send_command_returns_the_acks(hass: HomeAssistant, prop: Prop) -> None:
    """The send_command action reaches every chosen prop and answers with acks."""
    eyes = Prop(hass, prop_id="eyes", name="Eyes", mac="a4:cf:12:00:00:02")
    await eyes.connect()
    registry = dr.async_get(hass)
    coffin_device = registry.async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    eyes_device = registry.async_get_device(identifiers={("propnet", "propnet/eyes")})
    assert coffin_device is not None
    assert eyes_device is not None
    response = await hass.services.async_call(
        "propnet",
        "send_command",
        {
            "device_id": [coffin_device.id, eyes_device.id],
            "action": "scare_sequence",
            "params": {"repeat": 2},
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    acks = response["acks"]
    assert [a["prop_id"] for a in acks] == ["coffin_jumper", "eyes"]
    assert all(a["ok"] for a in acks)
    assert prop.commands[-1]["action"] == "scare_sequence"
    assert prop.commands[-1]["params"] == {"repeat": 2}
    assert eyes.commands[-1]["correlation_id"] == acks[1]["correlation_id"]

    await hass.services.async_call(
        "propnet",
        "send_command",
        {"device_id": coffin_device.id, "action": "set", "key": "lid", "value": True},
        blocking=True,
    )
    assert hass.states.get("switch.coffin_jumper_lid").state == "on"


async def test_send_command_tells_which_props_failed(
    hass: HomeAssistant, prop: Prop
) -> None:
    """One prop refusing makes the action fail, naming that prop."""
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    prop.reply = "unsupported_action"
    with pytest.raises(
        HomeAssistantError, match=r"Coffin Jumper: .*unsupported_action"
    ):
        await hass.services.async_call(
            "propnet",
            "send_command",
            {"device_id": device.id, "action": "dance"},
            blocking=True,
        )


async def test_send_command_checks_its_input(
    hass: HomeAssistant, entry: MockConfigEntry, prop: Prop
) -> None:
    """A set without key or value, a device that is no prop, a bad action name."""
    import voluptuous as vol

    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "propnet",
            "send_command",
            {"device_id": device.id, "action": "set", "key": "lid"},
            blocking=True,
        )
    assert err.value.translation_key == "set_needs_key_and_value"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "propnet",
            "send_command",
            {"device_id": "no-such-device", "action": "ping"},
            blocking=True,
        )
    assert err.value.translation_key == "not_a_prop"
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(
            "propnet",
            "send_command",
            {"device_id": device.id, "action": "Bad Name"},
            blocking=True,
        )
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "propnet",
            "send_command",
            {"device_id": device.id, "action": "ping"},
            blocking=True,
        )
    assert err.value.translation_key == "entry_not_loaded"


@pytest.mark.parametrize("action", ["reboot", "update_begin", "update_commit"])
async def test_only_an_administrator_may_change_a_props_code_or_restart_it(
    hass: HomeAssistant,
    prop: Prop,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
    action: str,
) -> None:
    """A user without admin rights is refused before anything reaches the prop."""
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    sent = len(prop.commands)
    hass_admin_user.groups = []  # an ordinary user, not an administrator
    for user in (hass_admin_user, hass_read_only_user):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                "propnet",
                "send_command",
                {"device_id": device.id, "action": action, "params": {}},
                blocking=True,
                context=Context(user_id=user.id),
            )
        assert err.value.translation_key == "admin_only"
        assert f"Only an administrator can send {action}" in str(err.value)
    await hass.async_block_till_done()
    assert len(prop.commands) == sent
    # Ordinary commands stay everyone's.
    await hass.services.async_call(
        "propnet",
        "send_command",
        {"device_id": device.id, "action": "identify"},
        blocking=True,
        context=Context(user_id=hass_read_only_user.id),
    )
    assert prop.commands[-1]["action"] == "identify"


async def test_an_administrator_and_automations_may_restart_a_prop(
    hass: HomeAssistant, prop: Prop, hass_admin_user: MockUser
) -> None:
    """The admin's call and one with no user behind it (an automation) reach the prop."""
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    for context in (Context(user_id=hass_admin_user.id), Context()):
        await hass.services.async_call(
            "propnet",
            "send_command",
            {"device_id": device.id, "action": "reboot"},
            blocking=True,
            context=context,
        )
        assert prop.commands[-1]["action"] == "reboot"


async def test_params_too_large_or_not_json_are_refused_before_sending(
    hass: HomeAssistant, prop: Prop
) -> None:
    """A prop reads at most 4 KiB: a bigger command, or one JSON cannot hold, never leaves."""
    device = dr.async_get(hass).async_get_device(
        identifiers={("propnet", "propnet/coffin_jumper")}
    )
    assert device is not None
    sent = len(prop.commands)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "propnet",
            "send_command",
            {"device_id": device.id, "action": "scare", "params": {"x": "y" * 5000}},
            blocking=True,
        )
    assert err.value.translation_key == "send_command_failed"
    assert "would be 5082 bytes; a prop reads at most 4096" in str(err.value)
    with pytest.raises(ServiceValidationError) as err:
        await entry_hub(hass).async_command(
            "coffin_jumper", "scare", params={"when": object()}
        )
    assert err.value.translation_key == "command_not_json"
    await hass.async_block_till_done()
    assert len(prop.commands) == sent


async def test_a_busy_prop_is_a_refusal_an_internal_fault_an_error(
    hass: HomeAssistant, prop: Prop
) -> None:
    """Busy says the request was the problem (no traceback in the log); internal is the prop's fault."""
    prop.reply = "busy"
    with pytest.raises(ServiceValidationError):
        await press_scare(hass)
    prop.reply = "internal"
    with pytest.raises(HomeAssistantError) as err:
        await press_scare(hass)
    assert not isinstance(err.value, ServiceValidationError)
