"""Device triggers: "Coffin Jumper: scared scare" in the automation editor."""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import DOMAIN, EVENT_PROPNET
from .protocol.announce import EntitySpec
from .runtime import prop_of_device

CONF_SUBTYPE = "subtype"

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): str, vol.Required(CONF_SUBTYPE): str}
)


def _event_entities(hass: HomeAssistant, device_id: str) -> list[EntitySpec]:
    """Return the event entities the prop behind ``device_id`` announces now.

    Show lighting and devices that are no props have none.
    """
    device = dr.async_get(hass).async_get(device_id)
    if device is None or (target := prop_of_device(hass, device)) is None:
        return []
    hub, prop_id = target
    prop = hub.props.get(prop_id)
    if prop is None or prop.announce is None:
        return []
    return [spec for spec in prop.announce.entities if spec.type == "event"]


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, Any]]:
    """Offer one trigger per event type of each event entity of the prop."""
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: event_type,
            CONF_SUBTYPE: spec.key,
        }
        for spec in _event_entities(hass, device_id)
        for event_type in spec.event_types
    ]


async def async_validate_trigger_config(
    hass: HomeAssistant, config: ConfigType
) -> ConfigType:
    """Check a trigger, refusing one for an event the prop does not announce.

    A prop that is offline or not yet announced at start-up is given the
    benefit of the doubt, so automations load before the props connect.
    """
    config = TRIGGER_SCHEMA(config)
    known = _event_entities(hass, config[CONF_DEVICE_ID])
    if known and not any(
        spec.key == config[CONF_SUBTYPE] and config[CONF_TYPE] in spec.event_types
        for spec in known
    ):
        raise InvalidDeviceAutomationConfig(
            translation_domain=DOMAIN,
            translation_key="not_an_event_of_prop",
            translation_placeholders={
                "subtype": config[CONF_SUBTYPE],
                "type": config[CONF_TYPE],
            },
        )
    return config


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run ``action`` when the prop fires the event."""
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: EVENT_PROPNET,
            CONF_EVENT_DATA: {
                CONF_DEVICE_ID: config[CONF_DEVICE_ID],
                "key": config[CONF_SUBTYPE],
                "type": config[CONF_TYPE],
            },
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
