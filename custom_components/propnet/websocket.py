"""Websocket commands: watch one prop's log live (a panel, a script, the developer tools)."""

from __future__ import annotations

from typing import Any

from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import (
    require_admin,
    websocket_command,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
import voluptuous as vol

from .runtime import prop_of_device


@callback
def async_setup_websocket(hass: HomeAssistant) -> None:
    """Register PropNet's websocket commands."""
    websocket_api.async_register_command(hass, websocket_watch_log)


@websocket_command(
    {vol.Required("type"): "propnet/log/subscribe", vol.Required("device_id"): str}
)
# A prop's log can hold what its config holds (names, addresses, errors).
@require_admin
@callback
def websocket_watch_log(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Send the prop's recent lines, then each new one, until the client unsubscribes."""
    device = dr.async_get(hass).async_get(msg["device_id"])
    found = None if device is None else prop_of_device(hass, device)
    if found is None:
        connection.send_error(
            msg["id"], "not_a_prop", "This device is not a PropNet prop"
        )
        return
    hub, prop_id = found

    @callback
    def forward(line: dict[str, Any]) -> None:
        connection.send_event(msg["id"], line)

    connection.subscriptions[msg["id"]] = hub.logs.watch(prop_id, forward)
    connection.send_result(msg["id"])
    for line in hub.logs.recent(prop_id):
        forward(line)
