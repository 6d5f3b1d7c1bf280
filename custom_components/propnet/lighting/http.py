"""The old demo server's API for existing web clients: REST and a websocket subscription."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aiohttp import web
from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.decorators import websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
import voluptuous as vol

from ..const import DOMAIN
from ..protocol.decode import MAX_PAYLOAD_BYTES
from .coordinator import LightingCoordinator
from .engine import Source, Submitted


def _coordinator(hass: HomeAssistant, base: str | None) -> LightingCoordinator | None:
    """Return the loaded lighting on ``base``, or the first one when none is named."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is not ConfigEntryState.LOADED:
            continue
        coordinator = entry.runtime_data
        if isinstance(coordinator, LightingCoordinator) and (
            base is None or coordinator.base == base
        ):
            return coordinator
    return None


class RgbView(HomeAssistantView):
    """``GET`` the RGB state, ``POST`` a command, as the old server did; login required."""

    url = "/api/propnet/rgb"
    name = "api:propnet:rgb"

    async def get(self, request: web.Request) -> web.Response:
        """Return the current state (``?base=`` picks a lighting entry)."""
        coordinator = _coordinator(request.app[KEY_HASS], request.query.get("base"))
        if coordinator is None:
            return self.json_message("no show lighting is set up", HTTPStatus.NOT_FOUND)
        return self.json(coordinator.engine.state.as_payload())

    async def post(self, request: web.Request) -> web.Response:
        """Queue a command; answer 202 when queued, 400 with the reason when not."""
        coordinator = _coordinator(request.app[KEY_HASS], request.query.get("base"))
        if coordinator is None:
            return self.json_message("no show lighting is set up", HTTPStatus.NOT_FOUND)
        # At most one byte past the contract's limit is read: enough for the
        # engine to refuse and count it, without holding a large body.
        body = await _read_at_most(request, MAX_PAYLOAD_BYTES + 1)
        outcome = coordinator.engine.submit_payload(body, Source.UI)
        if len(body) > MAX_PAYLOAD_BYTES:
            return self.json_message(
                f"a command has at most {MAX_PAYLOAD_BYTES} bytes",
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        if outcome is Submitted.QUEUED:
            return self.json({"accepted": True}, HTTPStatus.ACCEPTED)
        reason = "invalid command" if outcome is Submitted.INVALID else "queue full"
        return self.json_message(reason, HTTPStatus.BAD_REQUEST)


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    """Return the body's first ``limit`` bytes (or all of it, when shorter)."""
    if request.content_length is not None and request.content_length > limit:
        return b" " * limit  # refused as too large without reading a byte
    body = bytearray()
    while len(body) < limit and (
        chunk := await request.content.read(limit - len(body))
    ):
        body += chunk
    return bytes(body)


@websocket_command(
    {vol.Required("type"): "propnet/rgb/subscribe", vol.Optional("base"): str}
)
@callback
def ws_subscribe_rgb(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
) -> None:
    """Send the current RGB state at once, then every change."""
    coordinator = _coordinator(hass, msg.get("base"))
    if coordinator is None:
        connection.send_error(msg["id"], "not_found", "no show lighting is set up")
        return

    @callback
    def send(state: Any = None) -> None:
        connection.send_message(
            event_message(
                msg["id"], {"type": "state", **coordinator.engine.state.as_payload()}
            )
        )

    connection.subscriptions[msg["id"]] = coordinator.engine.add_listener(send)
    connection.send_result(msg["id"])
    send()


@callback
def async_setup_api(hass: HomeAssistant) -> None:
    """Register the REST view and the websocket command."""
    hass.http.register_view(RgbView())
    websocket_api.async_register_command(hass, ws_subscribe_rgb)
